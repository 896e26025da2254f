// Every user-visible string comes from a catalog, in ICU message syntax (plurals, selects,
// numbers and dates through Intl). One catalog per language; the locale is reactive state, so
// switching language re-renders every `t()` at once, without a restart.
import { IntlMessageFormat } from 'intl-messageformat';
import en from '../locales/en.json';
import kk from '../locales/kk.json';
import ru from '../locales/ru.json';
import ug from '../locales/ug.json';
import zhHans from '../locales/zh-Hans.json';

export type Catalog = Record<string, string>;
/** The languages of the app, in the order the language picker shows them. */
export const LANGUAGES = ['kk', 'ug', 'ru', 'zh-Hans', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
const catalogs: Record<Language, Catalog> = { en, kk, ru, ug, 'zh-Hans': zhHans };
const RIGHT_TO_LEFT = new Set<string>(['ug']);

const current = $state<{ locale: Language }>({ locale: 'en' });
const cache = new Map<string, IntlMessageFormat>();

function isLanguage(l: string): l is Language {
  return (LANGUAGES as readonly string[]).includes(l);
}

/** Switches the whole UI: messages, `lang` and text direction of the document. */
export function setLocale(l: string): void {
  current.locale = isLanguage(l) ? l : 'en';
  if (typeof document !== 'undefined') {
    document.documentElement.lang = current.locale;
    document.documentElement.dir = textDirection(current.locale);
  }
}

export function currentLocale(): Language {
  return current.locale;
}

export function textDirection(l: string): 'rtl' | 'ltr' {
  return RIGHT_TO_LEFT.has(l) ? 'rtl' : 'ltr';
}

/** A language's own name ("Қазақша", "ئۇيغۇرچە"), from its catalog: shown whatever the UI language. */
export function languageName(l: Language): string {
  return catalogs[l]['language.name'];
}

/** The message `key`, formatted with `values`. A missing key shows as the key itself. */
export function t(key: string, values?: Record<string, unknown>): string {
  const locale = current.locale;
  const text = catalogs[locale][key] ?? catalogs.en[key];
  if (text === undefined) return key;
  const id = `${locale}\u0000${key}`;
  let fmt = cache.get(id);
  if (!fmt) {
    fmt = new IntlMessageFormat(text, locale);
    cache.set(id, fmt);
  }
  return String(fmt.format(values as Record<string, string | number>));
}

/** User text put inside a translated sentence, isolated (FSI…PDI) so that a Latin code in
 *  a Uyghur sentence, or Uyghur in an English one, cannot reorder the words around it. */
export function isolate(text: string): string {
  return `\u2068${text}\u2069`;
}

/** A vocabulary value's label, e.g. `vocab('event_kind', 'detention')` → "Detention". */
export function vocab(name: string, value: string): string {
  return t(`vocab.${name}.${value}`);
}

/** A human message for an error from the shell: translated by code, with the detail below. */
export function errorText(err: unknown): { title: string; detail: string } {
  const e = err as { code?: string; message?: string };
  const code = typeof e?.code === 'string' ? e.code : 'internal';
  const key = `error.${code}`;
  const title = key in catalogs.en ? t(key) : t('error.internal');
  return { title, detail: typeof e?.message === 'string' ? e.message : String(err) };
}

/** A timestamp (RFC 3339) in the user's locale, to the minute. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(current.locale, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** A list in the UI language: "Code, Summary", "كود، بايان", "编号、摘要". (Not Intl.ListFormat:
 *  ICU has no Uyghur list patterns and would say "and" in English.) */
export function formatList(items: string[]): string {
  return items.join(t('common.listSeparator'));
}

/** A calendar day (`YYYY-MM-DD`) in the user's locale, e.g. "1 Mar 2018", "2018年3月1日". */
export function formatDay(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return new Intl.DateTimeFormat(current.locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
}

/** A file size in the user's locale and units of 1000: "4.2 MB", "4,2 МБ", "4.2兆字节". */
export function formatBytes(bytes: number): string {
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;
  let i = 0;
  let v = bytes;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return new Intl.NumberFormat(current.locale, {
    style: 'unit',
    unit: units[i],
    unitDisplay: 'short',
    maximumFractionDigits: i === 0 ? 0 : 1,
  }).format(v);
}

export { catalogs };
