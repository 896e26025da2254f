// Switching language switches every message; lists use the language's separator.
import { afterEach, describe, expect, it } from 'vitest';
import { formatList, isolate, setLocale, t } from './i18n.svelte';

afterEach(() => setLocale('en'));

describe('i18n', () => {
  it('switches every message at once, and an unknown language falls back to English', () => {
    setLocale('ug');
    expect(t('lock.button')).toBe('قۇلۇپلاش');
    setLocale('xx');
    expect(t('lock.button')).toBe('Lock');
  });

  it('joins lists with the separator of the UI language', () => {
    setLocale('ug');
    expect(formatList(['كود', 'بايان'])).toBe('كود، بايان');
    setLocale('zh-Hans');
    expect(formatList(['编号', '摘要'])).toBe('编号、摘要');
  });

  it('isolates user text put inside a sentence', () => {
    setLocale('ug');
    expect(t('history.title', { code: isolate('UG-001') })).toBe('\u2068UG-001\u2069 نىڭ تارىخى');
  });
});
