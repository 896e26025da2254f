// Search and people in the real app, on a vault the command line filled: one detained man
// whose name four interviewers wrote in four scripts, and others. Searching his name in
// Latin, Cyrillic, Arabic script and Chinese characters finds all four testimonies; a
// two-character Chinese word is found inside a sentence; an event-date filter of "2018"
// keeps "spring 2018" and "2017/2019" and drops 2019 and 2020; the duplicate review merges
// a suggested pair and dismisses another. A screenshot of each step.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ROOT, byId, click, shot, shown, startApp, stopApp, type } from './driver.mjs';

const VAULT = join(ROOT, 'vault-search');
const PASS = 'walnut meadow ember lighthouse';
const CLI = join(process.env.E2E_TOOLS ?? '', 'amanat');
// In every narrative: never to be found on disk in plaintext.
const CANARY = 'Zhyrgalbekqyzy';
appendFileSync(join(ROOT, 'canaries.txt'), `${CANARY}\n`);

const victim = (name, birth, town) => ({ names: [{ name }], roles: ['victim'], birth, hometown: town });
const TESTIMONIES = [
  { code: 'S-CYRL', narrative: `Інім лагерьде. ${CANARY}`, v: victim('Ержанат Абай', '1980', 'Ghulja'), e: { kind: 'detention', start: '2018-21', place: 'Ghulja' } },
  { code: 'S-ARAB', narrative: `ئىنىم لاگېردا. ${CANARY}`, v: victim('ئەرجانات ئاباي', '1980', 'Ghulja'), e: { kind: 'detention', start: '2017/2019' } },
  { code: 'S-HANI', narrative: `我的弟弟在乌鲁木齐被拘留了。${CANARY}`, v: victim('叶尔扎那提·阿拜', '1980', 'Ghulja'), e: { kind: 'detention', start: '2019-05' } },
  { code: 'S-LATN', narrative: `My brother was released. ${CANARY}`, v: victim('Yerzhanat Abai', '1980', 'Ghulja'), e: { kind: 'release', start: '2020' } },
  { code: 'S-OTHER-1', narrative: `Сіңлім хабарсыз. ${CANARY}`, v: victim('Гүлнар Тұрсын', '1975', 'Zharkent'), e: { kind: 'disappearance', start: '2018-03' } },
  { code: 'S-OTHER-2', narrative: `Sister missing. ${CANARY}`, v: victim('Gulnar Tursyn', '1975', 'Zharkent'), e: { kind: 'disappearance', start: '2018' } },
  { code: 'S-OTHER-3', narrative: `Another family. ${CANARY}`, v: victim('Nurlan Kasymov', '1990', 'Altay'), e: { kind: 'detention', start: '2017' } },
];

function cli(args, input) {
  return execFileSync(CLI, ['--vault', VAULT, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, AMANAT_PASSPHRASE_FILE: join(ROOT, 'search-pass'), AMANAT_INSECURE_TEST_KDF: '10' },
  });
}

let b;
after(async () => b && stopApp(b));

const hits = async () => {
  const el = await shown(b, 'search-results');
  return b.execute((e) => [...e.querySelectorAll('[data-testid="open-hit"]')].map((x) => x.textContent.trim()).sort(), el);
};

async function search(text, expected) {
  const input = await shown(b, 'search-input');
  await input.clearValue();
  await input.setValue(text);
  await b.waitUntil(async () => JSON.stringify(await hits()) === JSON.stringify([...expected].sort()), {
    timeout: 10000,
    timeoutMsg: `${text}: ${JSON.stringify(await hits())}`,
  });
}

test('a name in four scripts, a Chinese word, a date filter and the duplicate review', async () => {
  writeFileSync(join(ROOT, 'search-pass'), `${PASS}\n`);
  cli(['init', '--name', 'Coordinator']);
  for (const t of TESTIMONIES) {
    const json = {
      code: t.code,
      interview_date: '2025-04-02',
      narrative: t.narrative,
      testifier: { names: [{ name: 'Witness' }], roles: ['testifier'] },
      persons: [t.v],
      events: [t.e],
    };
    cli(['add', '--json', '-'], JSON.stringify(json));
  }

  b = await startApp();
  // After other suites the app remembers their vault and asks for its passphrase first.
  const visible = async (id) => (await byId(b, id)).isDisplayed();
  await b.waitUntil(async () => (await visible('first-run')) || (await visible('unlock-screen')), { timeout: 30000 });
  if (await visible('unlock-screen')) await click(b, 'choose-other');
  await click(b, 'tab-open');
  await (await byId(b, 'vault-dir')).setValue(VAULT);
  await type(b, 'passphrase', PASS);
  await click(b, 'open');
  await click(b, 'nav-search');

  const him = ['S-CYRL', 'S-ARAB', 'S-HANI', 'S-LATN'];
  await search('Yerzhanat Abai', him);
  await shot(b, 'search-latin-finds-four-scripts');
  const marked = await b.execute(() => [...document.querySelectorAll('[data-testid="snippet"] mark')].map((m) => m.textContent));
  for (const name of ['Ержанат', 'ئەرجانات', 'Yerzhanat']) assert.ok(marked.includes(name), `${name} marked: ${marked}`);
  await search('Ержанат', him);
  await shot(b, 'search-cyrillic');
  await search('ئەرجانات ئاباي', him);
  await shot(b, 'search-arabic-script');
  await search('叶尔扎那提', him);
  await shot(b, 'search-chinese');
  await search('拘留', ['S-HANI']);
  const han = await b.execute(() => [...document.querySelectorAll('[data-testid="snippet"] mark')].map((m) => m.textContent));
  assert.deepEqual(han, ['拘留']);

  // Detained in 2018: spring 2018 and 2017/2019 may be; May 2019 and 2020 are not.
  await search('Yerzhanat', him);
  await type(b, 'filter-event-date', '2018');
  await click(b, 'apply-dates');
  await search('Yerzhanat', ['S-CYRL', 'S-ARAB']);
  assert.match(await (await shown(b, 'search-count')).getText(), /2/);
  await shot(b, 'search-event-in-2018');
  // From 2019 on, detentions only: 2017/2019 and May 2019, not the release in 2020.
  await type(b, 'filter-event-date', '2019/..');
  await click(b, 'apply-dates');
  await search('Yerzhanat', ['S-ARAB', 'S-HANI', 'S-LATN']);
  await click(b, 'facet-event_kinds-detention');
  await search('Yerzhanat', ['S-ARAB', 'S-HANI']);
  await shot(b, 'search-detained-from-2019');
  await click(b, 'clear-filters');
  await search('Yerzhanat', him);

  // The duplicate review: every pair of his records, and the two records of Gulnar.
  await click(b, 'nav-people');
  await click(b, 'tab-duplicates');
  await b.waitUntil(async () => (await b.$$('[data-testid="duplicate-pair"]')).length === 7, { timeout: 10000 });
  await shot(b, 'people-possible-duplicates');
  const pairText = async (i) => (await b.$$('[data-testid="duplicate-pair"]'))[i].getText();
  // Gulnar's pair: dismiss it (two different women, say, after checking with the family).
  let gulnar = -1;
  for (let i = 0; i < 7 && gulnar < 0; i++) if ((await pairText(i)).includes('Gulnar')) gulnar = i;
  assert.ok(gulnar >= 0);
  await (await (await b.$$('[data-testid="duplicate-pair"]'))[gulnar].$('[data-testid="dismiss"]')).click();
  await b.waitUntil(async () => (await b.$$('[data-testid="duplicate-pair"]')).length === 6, { timeout: 10000 });
  // His first suggested pair: merge.
  await (await (await b.$$('[data-testid="duplicate-pair"]'))[0].$('[data-testid="merge"]')).click();
  await shown(b, 'people-done');
  await b.waitUntil(async () => (await b.$$('[data-testid="duplicate-pair"]')).length === 5, { timeout: 10000 });
  await shot(b, 'people-after-merge');
  await click(b, 'tab-people');
  await type(b, 'people-search', 'Ержанат');
  await b.waitUntil(
    async () => {
      const groups = await b.$$('[data-testid="person-group"]');
      return groups.length === 3;
    },
    { timeout: 10000 },
  );
  const merged = await b.execute(() =>
    [...document.querySelectorAll('[data-testid="person-group"]')].map((g) => g.querySelectorAll('[data-testid="open-person-testimony"]').length),
  );
  assert.deepEqual([...merged].sort(), [1, 1, 2]);
  await shot(b, 'people-merged-person');

  // Recorded in the vault: the command line sees the merge and the dismissal.
  await click(b, 'lock');
  await shown(b, 'unlock-screen', 30000);
  // The app lets go of the vault's lock file as it locks; give it a moment.
  let people;
  for (let i = 0; ; i++) {
    try {
      people = JSON.parse(cli(['people', 'Yerzhanat', '--json']));
      break;
    } catch (e) {
      if (i >= 20 || !String(e.message).includes('vault_locked')) throw e;
      await b.pause(500);
    }
  }
  assert.deepEqual(people.map((g) => g.records.length).sort(), [1, 1, 2]);
  assert.equal(JSON.parse(cli(['people', '--duplicates', '--json'])).length, 5);
});
