// Every user-visible string comes from a catalog, in ICU message syntax (plurals, selects).
// English is the only catalog for now; the languages issue adds kk, ru, ug and zh-Hans.
import { IntlMessageFormat } from 'intl-messageformat';
import en from '../locales/en.json';

export type Catalog = Record<string, string>;
const catalogs: Record<string, Catalog> = { en };

let locale = 'en';
const cache = new Map<string, IntlMessageFormat>();

export function setLocale(l: string): void {
  locale = l in catalogs ? l : 'en';
  cache.clear();
  document.documentElement.lang = locale;
}

export function currentLocale(): string {
  return locale;
}

/** The message `key`, formatted with `values`. A missing key shows as the key itself. */
export function t(key: string, values?: Record<string, unknown>): string {
  const text = catalogs[locale]?.[key] ?? catalogs.en[key];
  if (text === undefined) return key;
  let fmt = cache.get(key);
  if (!fmt) {
    fmt = new IntlMessageFormat(text, locale);
    cache.set(key, fmt);
  }
  return String(fmt.format(values as Record<string, string | number>));
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
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export { catalogs };
