// EDTF dates as people say them, in the UI language: "2018-22" → "summer 2018", "2018年夏";
// "2017-04/.." → "since April 2017". What the core stores stays EDTF; this is display only.
// Anything this does not recognise is shown as the EDTF text itself, never altered.
import { currentLocale, t } from './i18n.svelte';

const SEASONS: Record<string, string> = { '21': 'spring', '22': 'summer', '23': 'autumn', '24': 'winter' };

function utc(y: number, m: number, d: number): Date {
  const date = new Date(Date.UTC(2000, m - 1, d));
  date.setUTCFullYear(y);
  return date;
}

function intl(options: Intl.DateTimeFormatOptions, date: Date): string {
  return new Intl.DateTimeFormat(currentLocale(), { ...options, timeZone: 'UTC' }).format(date);
}

/** One date of EDTF level 0/1 without an interval, or null if it is not one we can say. */
function single(text: string): string | null {
  const m = /^(\d{2}[\dX]{2})(?:-([\dX]{2}))?(?:-([\dX]{2}))?([?~%])?$/.exec(text);
  if (!m) return null;
  const [, yearText, month, day, qualifier] = m;
  let said: string;
  if (yearText.endsWith('XX')) {
    said = t('edtf.decade', { start: yearText.replace(/X/g, '0') });
  } else if (yearText.endsWith('X')) {
    said = t('edtf.decade', { start: yearText.replace('X', '0') });
  } else {
    const year = Number(yearText);
    if (month && month in SEASONS) {
      said = t(`edtf.${SEASONS[month]}`, { year: yearText });
    } else if (!month || month === 'XX') {
      said = t('edtf.year', { year: yearText });
    } else {
      const mo = Number(month);
      if (mo < 1 || mo > 12) return null;
      if (!day || day === 'XX') {
        said = intl({ year: 'numeric', month: 'long' }, utc(year, mo, 1));
      } else {
        const d = Number(day);
        if (d < 1 || d > 31) return null;
        said = intl({ dateStyle: 'long' }, utc(year, mo, d));
      }
    }
  }
  if (qualifier === '~') return t('edtf.approximate', { date: said });
  if (qualifier === '?') return t('edtf.uncertain', { date: said });
  if (qualifier === '%') return t('edtf.approximateUncertain', { date: said });
  return said;
}

/** An EDTF date or interval in words, in the UI language. */
export function sayEdtf(edtf: string): string {
  const text = edtf.trim();
  if (!text.includes('/')) return single(text) ?? text;
  const parts = text.split('/');
  if (parts.length !== 2) return text;
  const [start, end] = parts;
  if (start === '..' && end) {
    const e = single(end);
    return e ? t('edtf.until', { end: e }) : text;
  }
  const s = start ? single(start) : null;
  if (start && !s) return text;
  if (end === '..') return s ? t('edtf.since', { start: s }) : text;
  if (!end) return s ? t('edtf.fromUnknownEnd', { start: s }) : text;
  const e = single(end);
  if (!e) return text;
  return s ? t('edtf.between', { start: s, end: e }) : t('edtf.unknownStartUntil', { end: e });
}
