// Every main screen in each of the five languages (dates typed in each language's own words), in the real app, with every system font
// hidden (scripts/e2e.sh points fontconfig at a configuration that rejects them all): the fonts
// bundled in the app must render Latin, Cyrillic, Uyghur in Arabic script and Chinese. One
// screenshot per screen per language lands in target/e2e/. Uyghur is laid out right to left,
// and its whole flow (create a vault, write a testimony, save, lock, unlock, find it) is done
// with the keyboard alone.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Key, ROOT, byId, choose, click, focused, shot, shown, startApp, stopApp, tabTo, type } from './driver.mjs';

const catalog = (l) => JSON.parse(readFileSync(new URL(`../src/locales/${l}.json`, import.meta.url), 'utf8'));
const PASS = 'juniper candle harbour frost';

// What each language's testimony says, and how its partial date must read back.
const SAMPLE = {
  en: { name: 'Yerzhanat Abai', summary: 'Her brother was detained in spring 2018.', date: 'spring 2018', said: 'spring 2018', font: 'Noto Sans Variable' },
  kk: { name: 'Ержанат Абай', summary: 'Інісі 2018 жылдың көктемінде ұсталды.', date: '2018 жылдың көктемінде', said: 'көктем 2018', font: 'Noto Sans Variable' },
  ru: { name: 'Ержанат Абай', summary: 'Её брата задержали весной 2018 года.', date: 'весной 2018 года', said: 'весна 2018', font: 'Noto Sans Variable' },
  'zh-Hans': { name: '叶尔扎那提·阿拜', summary: '她的弟弟于2018年春被拘押。', date: '2018年春天', said: '2018年春', font: 'Noto Sans SC Variable' },
  ug: { name: 'ئەرجانات ئاباي', summary: 'ئىنىسى 2018-يىلى ئەتىيازدا تۇتۇپ كېتىلگەن.', date: '2018-يىلى ئەتىيازدا', said: '2018-يىلى ئەتىياز', font: 'Noto Sans Arabic Variable' },
};

let b;
after(async () => b && stopApp(b));

async function documentLanguage() {
  return b.execute(() => ({ lang: document.documentElement.lang, dir: document.documentElement.dir }));
}

/** The bundled font families WebKit has actually loaded for what is on screen. */
async function loadedFonts() {
  return b.execute(async () => {
    await document.fonts.ready;
    return [...document.fonts].filter((f) => f.status === 'loaded').map((f) => f.family.replace(/["']/g, ''));
  });
}

/** Tabs (or Shift+Tabs) to `id` and presses Enter on it. */
async function press(id, options) {
  await tabTo(b, id, options);
  await b.keys(Key.Enter);
}

/** The option highlighted in the open drop-down list. */
async function highlighted() {
  return b.execute(() => document.querySelector('[role="option"].active')?.getAttribute('data-testid'));
}

/** Types text key by key (WebDriver drops the second of two equal keys sent in one batch). */
async function typeKeys(text) {
  for (const ch of text) await b.keys(ch);
}

/** What a drop-down shows as chosen (WebKit's WebDriver reads a combobox's text as empty). */
async function chosen(id) {
  return b.execute((sel) => document.querySelector(sel)?.textContent?.trim(), `[data-testid="${id}"]`);
}

async function textOf(id) {
  return (await shown(b, id)).getText();
}

/** Reaches the first-run screen from wherever the app is, and picks the language there. */
async function firstRunIn(lang, { keyboard = false } = {}) {
  const visible = async (id) => (await byId(b, id)).isDisplayed();
  await b.waitUntil(async () => (await visible('first-run')) || (await visible('unlock-screen')), { timeout: 30000 });
  if (await visible('unlock-screen')) await click(b, 'choose-other');
  await shown(b, 'first-run');
  if (keyboard) {
    // Open the list with Enter, walk it with the arrows until the language, take it with Enter.
    await press('language');
    await shown(b, `language-option-${lang}`);
    for (let i = 0; i < 6; i++) {
      if ((await highlighted()) === `language-option-${lang}`) break;
      await b.keys(Key.ArrowUp);
    }
    await b.keys(Key.Enter);
  } else {
    await choose(b, 'language', lang);
  }
  assert.deepEqual(await documentLanguage(), { lang, dir: lang === 'ug' ? 'rtl' : 'ltr' });
  assert.equal(await textOf('tab-create'), catalog(lang)['firstRun.createTab']);
}

/** In a right-to-left layout the next focus stop lies to the left, in a left-to-right one to the right. */
function assertFocusFlows(path, from, to, lang) {
  const a = path.find((p) => p?.id === from);
  const z = path.find((p) => p?.id === to);
  assert.ok(a && z, `${from} and ${to} were both focused`);
  if (lang === 'ug') assert.ok(z.x < a.x, `${to} is left of ${from} in Uyghur (${z.x} < ${a.x})`);
  else assert.ok(z.x > a.x, `${to} is right of ${from} in ${lang} (${z.x} > ${a.x})`);
}

async function checkReadingAndFonts(lang) {
  const s = SAMPLE[lang];
  const reading = await textOf('field-interview-date-reading');
  assert.ok(reading.includes(s.said), `${lang}: the date reads "${s.said}" in "${reading}"`);
  const fonts = await loadedFonts();
  assert.ok(fonts.includes(s.font), `${lang}: ${s.font} is loaded (${[...new Set(fonts)].join(', ')})`);
}

/** The editor at the interview (the date as understood, the names) and at the narrative. */
async function editorShots(lang) {
  await (await byId(b, 'field-interview-date')).scrollIntoView({ block: 'center' });
  await shot(b, `${lang}-editor`);
  await (await byId(b, 'field-narrative')).scrollIntoView({ block: 'center' });
  await shot(b, `${lang}-editor-narrative`);
}

/** The walk with the mouse: every screen, one screenshot each. */
async function walkWithMouse(lang) {
  const s = SAMPLE[lang];
  const c = catalog(lang);
  await firstRunIn(lang);
  await shot(b, `${lang}-first-run`);
  assertFocusFlows(await tabTo(b, 'tab-open'), 'tab-create', 'tab-open', lang);
  await (await byId(b, 'vault-dir')).setValue(join(ROOT, `vault-${lang}`));
  await type(b, 'device-name', s.name);
  await type(b, 'passphrase', PASS);
  await type(b, 'passphrase-repeat', PASS);
  await shown(b, 'strength');
  await click(b, 'create');
  await shown(b, 'recovery-key', 60000);
  await shot(b, `${lang}-recovery-key`);
  await click(b, 'recovery-confirm');
  await click(b, 'recovery-done');
  await shown(b, 'empty-list');
  await shot(b, `${lang}-empty-list`);

  await click(b, 'new-testimony');
  await type(b, 'field-code', `${lang.toUpperCase()}-001`);
  await type(b, 'field-interview-date', s.date);
  await type(b, 'testifier-name-0', s.name);
  await type(b, 'field-summary', s.summary);
  await type(b, 'field-narrative', `${s.summary} (Ghulja, 2018)`);
  await checkReadingAndFonts(lang);
  // A drop-down open: its list is drawn by the page with the bundled fonts, not by GTK.
  await click(b, 'field-medium');
  await shown(b, 'field-medium-option-video_call');
  await shot(b, `${lang}-dropdown`);
  await click(b, 'field-medium-option-video_call');
  assert.equal(await chosen('field-medium'), c['vocab.medium.video_call']);
  await editorShots(lang);
  await click(b, 'save');
  await b.waitUntil(async () => (await textOf('draft-status')) === c['editor.saved'], { timeout: 15000 });
  await click(b, 'show-history');
  await shown(b, 'history-entry');
  await shot(b, `${lang}-history`);
  await click(b, 'history-back');
  await click(b, 'close-editor');
  await shown(b, 'open-testimony');
  assert.equal(await textOf('nav-list'), c['nav.testimonies']);
  await shot(b, `${lang}-list`);

  await exchangeScreens(lang);
  await click(b, 'nav-settings');
  await shown(b, 'contact-card');
  await shot(b, `${lang}-settings`);
  await click(b, 'lock');
  await shown(b, 'unlock-screen');
  assert.deepEqual(await documentLanguage(), { lang, dir: 'ltr' }, 'the language survives the lock');
  await shot(b, `${lang}-unlock`);
}

/** Contacts, the export wizard's first step, import, conflicts, search and people: drawn in `lang`. */
async function exchangeScreens(lang) {
  const c = catalog(lang);
  for (const [nav, screen, title] of [
    ['nav-contacts', 'contacts', 'contacts.title'],
    ['nav-export', 'export-step-what', 'export.whatTitle'],
    ['nav-import', 'import-start', 'import.title'],
    ['nav-conflicts', 'conflicts-empty', 'conflicts.title'],
    ['nav-search', 'search-screen', 'search.title'],
    ['nav-people', 'people-screen', 'people.title'],
  ]) {
    await click(b, nav);
    await shown(b, screen);
    const page = await b.execute(() => document.querySelector('.content')?.textContent ?? '');
    assert.ok(page.includes(c[title]), `${lang} ${screen} shows its title`);
    await shot(b, `${lang}-${screen}`);
  }
}

test('every main screen in English, Kazakh, Russian and Chinese, with no system fonts', async () => {
  b = await startApp();
  for (const lang of ['en', 'kk', 'ru', 'zh-Hans']) await walkWithMouse(lang);
});

test('Uyghur: right to left, and the whole flow with the keyboard alone', async () => {
  const s = SAMPLE.ug;
  const c = catalog('ug');
  await firstRunIn('ug', { keyboard: true });
  await shot(b, 'ug-first-run');

  // Create the vault: Tab from field to field, type, Enter.
  const tabs = await tabTo(b, 'tab-open');
  assertFocusFlows(tabs, 'tab-create', 'tab-open', 'ug');
  await tabTo(b, 'vault-dir');
  await b.keys([Key.Ctrl, 'a']);
  await typeKeys(join(ROOT, 'vault-ug'));
  await tabTo(b, 'device-name');
  await typeKeys(s.name);
  await tabTo(b, 'passphrase');
  await typeKeys(PASS);
  await tabTo(b, 'passphrase-repeat');
  await typeKeys(PASS);
  assert.equal(await (await byId(b, 'device-name')).getValue(), s.name, 'Uyghur typed by keys arrives intact');
  await press('create');

  await shown(b, 'recovery-key', 60000);
  await shot(b, 'ug-recovery-key');
  await tabTo(b, 'recovery-confirm');
  await b.keys(Key.Space);
  await press('recovery-done');

  await shown(b, 'empty-list');
  await shot(b, 'ug-empty-list');
  const top = await tabTo(b, 'new-testimony');
  assertFocusFlows(top, 'nav-list', 'nav-settings', 'ug');
  await b.keys(Key.Enter);

  await shown(b, 'editor');
  await tabTo(b, 'field-code');
  await typeKeys('UG-001');
  await tabTo(b, 'field-interview-date');
  await typeKeys(s.date);
  await press('field-medium');
  await shown(b, 'field-medium-option-video_call');
  await shot(b, 'ug-dropdown');
  while ((await highlighted()) !== 'field-medium-option-video_call') {
    await b.keys(Key.ArrowDown);
  }
  await b.keys(Key.Enter);
  assert.equal(await chosen('field-medium'), c['vocab.medium.video_call']);
  await tabTo(b, 'testifier-name-0');
  await typeKeys(s.name);
  await tabTo(b, 'field-summary');
  await typeKeys(s.summary);
  await tabTo(b, 'field-narrative');
  await typeKeys(`${s.summary} (Ghulja, 2018)`);
  await checkReadingAndFonts('ug');
  await editorShots('ug');
  await b.keys([Key.Ctrl, 's']);
  await b.waitUntil(async () => (await textOf('draft-status')) === c['editor.saved'], { timeout: 15000 });

  // Back along the toolbar to History, then on to the list and Settings.
  await press('show-history', { back: true });
  await shown(b, 'history-entry');
  await shot(b, 'ug-history');
  await press('history-back', { back: true });
  await shown(b, 'editor');
  await press('close-editor', { back: true });
  await shown(b, 'open-testimony');
  await shot(b, 'ug-list');
  await press('nav-settings', { back: true });
  await shown(b, 'contact-card');
  await shot(b, 'ug-settings');

  // Lock and unlock with keys; the testimony is there, still in Uyghur, right to left.
  await press('lock', { back: true });
  await shown(b, 'unlock-screen');
  await shot(b, 'ug-unlock');
  await b.waitUntil(async () => (await focused(b))?.id === 'passphrase', { timeout: 5000 });
  await typeKeys(PASS);
  await b.keys(Key.Enter);
  await shown(b, 'open-testimony');
  assert.equal(await textOf('open-testimony'), 'UG-001');
  assert.deepEqual(await documentLanguage(), { lang: 'ug', dir: 'rtl' });
  await press('open-testimony');
  assert.equal(await (await shown(b, 'testifier-name-0')).getValue(), s.name);
  await click(b, 'close-editor');
  await exchangeScreens('ug');
});

test('the language is kept across a restart of the app', async () => {
  await stopApp(b);
  b = await startApp();
  await shown(b, 'unlock-screen', 30000);
  assert.deepEqual(await documentLanguage(), { lang: 'ug', dir: 'rtl' });
  assert.equal(await textOf('unlock'), catalog('ug')['unlock.unlock']);
});
