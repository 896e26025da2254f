// EDTF dates read as people say them, in each UI language; unknown forms stay as typed.
import { afterEach, describe, expect, it } from 'vitest';
import { sayEdtf } from './edtf';
import { setLocale } from './i18n.svelte';

afterEach(() => setLocale('en'));

describe('sayEdtf', () => {
  it('says a season in every language as the issue asks', () => {
    const said: Record<string, string> = {};
    for (const l of ['en', 'kk', 'ug', 'zh-Hans', 'ru']) {
      setLocale(l);
      said[l] = sayEdtf('2018-21');
    }
    expect(said).toEqual({
      en: 'spring 2018',
      kk: 'көктем 2018',
      ug: '2018-يىلى ئەتىياز',
      'zh-Hans': '2018年春',
      ru: 'весна 2018',
    });
  });

  it('says qualifiers, decades, months, days and intervals', () => {
    expect(sayEdtf('1990~')).toBe('about 1990');
    expect(sayEdtf('2018?')).toBe('2018 (uncertain)');
    expect(sayEdtf('199X')).toBe('the 1990s');
    expect(sayEdtf('2018-03')).toBe('March 2018');
    expect(sayEdtf('2018-03-05')).toBe('March 5, 2018');
    expect(sayEdtf('2017/2019')).toBe('between 2017 and 2019');
    expect(sayEdtf('2017-04/..')).toBe('since April 2017');
    expect(sayEdtf('../2019')).toBe('until 2019');
    expect(sayEdtf('2017/')).toBe('from 2017, end unknown');
    setLocale('zh-Hans');
    expect(sayEdtf('2018-03-05')).toBe('2018年3月5日');
    expect(sayEdtf('2017/2019')).toBe('2017年至2019年之间');
  });

  it('shows what it cannot say exactly as stored', () => {
    for (const odd of ['Y-12000', '-0100', '2018-13', 'spring', '2018-03-05T10:00', '2018/2019/2020']) {
      expect(sayEdtf(odd)).toBe(odd);
    }
  });
});
