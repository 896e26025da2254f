// Many devices, one truth (docs/merge-model.md), in the real app: two interviewers and a
// coordinator, made ready with the command line. Interviewer 1 records a testimony with a
// photo and sends it to the coordinator and to interviewer 2; interviewer 2 extracts the photo
// (a custody entry) and edits the summary; interviewer 1 edits the same summary differently
// and sends a second testimony, which the coordinator deletes while interviewer 1 edits it,
// and a third, which interviewer 1 deletes while the coordinator edits it.
// The coordinator imports everything in the app: two conflicts are shown and resolved (one
// field by field, one by keeping the edit over the deletion); the third's deletion, held for
// review and accepted, stands beside the coordinator's edit as a conflict; the photo's custody log keeps
// both interviewers' entries and the file still extracts, and `verify` passes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { APP, ROOT, answerDialog, byId, click, shot, shown, startApp, stopApp, type } from './driver.mjs';

const CLI = join(dirname(APP), 'amanat');
const C = join(ROOT, 'merge-coordinator');
const I1 = join(ROOT, 'merge-interviewer-1');
const I2 = join(ROOT, 'merge-interviewer-2');
const USB = join(ROOT, 'merge-usb');
const PASS = 'saffron glacier violin orchard';

let b;
after(async () => b && stopApp(b));

const text = async (id) => (await shown(b, id)).getText();

/** Runs the command line on `vault` (a cheap KDF: these vaults are made for the test). */
function run(vault, args, input) {
  const passFile = join(ROOT, `pass-${Math.random().toString(36).slice(2)}`);
  writeFileSync(passFile, `${PASS}\n`);
  return spawnSync(CLI, ['--vault', vault, '--passphrase-file', passFile, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, AMANAT_INSECURE_TEST_KDF: '10', AMANAT_LANG: 'en' },
  });
}

function cli(vault, args, { input } = {}) {
  const r = run(vault, args, input);
  assert.equal(r.status, 0, `amanat ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The command line's error output, or '' if it succeeded. */
function cliStatus(vault, args) {
  const r = run(vault, args);
  return r.status === 0 ? '' : r.stderr;
}

const testimony = (code, summary) => ({
  code,
  summary,
  testifier: { names: [{ name: 'Гүлнар Сейітқызы', script: 'Cyrl' }] },
  persons: [{ names: [{ name: 'Ержанат Абай', script: 'Cyrl' }], roles: ['victim'] }],
  consents: [{ scopes: { store_internally: 'granted' } }],
});

/** A small PNG (the attachment is sniffed by its content). */
function png(path) {
  const bytes = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  );
  writeFileSync(path, bytes);
}

function patch(vault, code, fields) {
  const file = join(ROOT, `patch-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(fields));
  cli(vault, ['edit', code, '--json', file]);
}

function prepare() {
  mkdirSync(USB, { recursive: true });
  for (const [dir, name] of [[C, 'Coordinator office'], [I1, 'Interviewer 1'], [I2, 'Interviewer 2']]) cli(dir, ['init', '--name', name]);
  const card = (dir) => cli(dir, ['card']).trim().split('\n')[0];
  const cards = { C: card(C), I1: card(I1), I2: card(I2) };
  const vaults = { C, I1, I2 };
  for (const [me, dir] of Object.entries(vaults)) {
    for (const [other, c] of Object.entries(cards)) {
      if (other !== me) cli(dir, ['contact', 'add', c, '--name', other, '--trust', 'organisation']);
    }
  }
  // Interviewer 1: a testimony with a photo, to the coordinator and to interviewer 2.
  cli(I1, ['add'], { input: JSON.stringify(testimony('ALA-2026-0301', 'Detained in 2018')) });
  const photo = join(ROOT, 'merge-photo.png');
  png(photo);
  cli(I1, ['attach', 'ALA-2026-0301', photo]);
  cli(I1, ['export', '--to', 'C', '--all', '--out', join(USB, 'i1-to-c-1.amanat')]);
  cli(I1, ['export', '--to', 'I2', '--all', '--out', join(USB, 'i1-to-i2.amanat')]);
  cli(I2, ['import', join(USB, 'i1-to-i2.amanat')]);
  // Interviewer 2 extracts the photo (a custody entry) and edits the summary.
  const [att] = JSON.parse(cli(I2, ['attachments', 'ALA-2026-0301', '--json']));
  cli(I2, ['extract', att.id, '--out', join(ROOT, 'merge-extracted-by-i2.png')]);
  patch(I2, 'ALA-2026-0301', { summary: 'Interviewer 2: detained in March 2018 in Ghulja' });
  cli(I2, ['export', '--to', 'C', '--all', '--out', join(USB, 'i2-to-c.amanat')]);
  // Interviewer 1 edits the same summary, and sends a second testimony.
  patch(I1, 'ALA-2026-0301', { summary: 'Interviewer 1: detained in spring 2018' });
  cli(I1, ['add'], { input: JSON.stringify(testimony('ALA-2026-0302', 'A neighbour saw the arrest')) });
  cli(I1, ['add'], { input: JSON.stringify(testimony('ALA-2026-0303', 'Her brother was taken in 2017')) });
  cli(I1, ['export', '--to', 'C', '--since-last', '--out', join(USB, 'i1-to-c-2.amanat')]);
  // The coordinator takes the first bundle and the second testimony, and deletes that one
  // while interviewer 1 adds to it.
  cli(C, ['import', join(USB, 'i1-to-c-1.amanat')]);
  cli(C, ['import', join(USB, 'i1-to-c-2.amanat')]);
  cli(C, ['delete', 'ALA-2026-0302', '--reason', 'recorded twice']);
  patch(I1, 'ALA-2026-0302', { narrative: 'The neighbour, Ержанат Абай, gave the date: 12 March.' });
  // The coordinator checks the third testimony while interviewer 1 deletes it.
  patch(C, 'ALA-2026-0303', { summary: 'Checked with the family: taken in May 2017' });
  cli(I1, ['delete', 'ALA-2026-0303', '--reason', 'the family asked us to wait']);
  cli(I1, ['export', '--to', 'C', '--since-last', '--out', join(USB, 'i1-to-c-3.amanat')]);
  return att.id;
}

async function openVault(dir) {
  await b.waitUntil(async () => (await (await byId(b, 'first-run')).isDisplayed()) || (await (await byId(b, 'unlock-screen')).isDisplayed()), { timeout: 30000 });
  if (await (await byId(b, 'unlock-screen')).isDisplayed()) await click(b, 'choose-other');
  await shown(b, 'first-run');
  await click(b, 'tab-open');
  await (await byId(b, 'vault-dir')).setValue(dir);
  await type(b, 'passphrase', PASS);
  await click(b, 'open');
  await shown(b, 'nav-conflicts', 60000);
}

async function importFrom(file) {
  await click(b, 'nav-import');
  // After an import the screen shows its summary and offers the next one.
  const next = (await (await byId(b, 'import-another')).isExisting()) ? 'import-another' : 'import-choose';
  await Promise.all([click(b, next), answerDialog('Choose a bundle', file)]);
  await shown(b, 'import-summary', 60000);
  await click(b, 'import-run');
  await shown(b, 'import-done', 60000);
}

test('two interviewers and a coordinator: conflicts shown and resolved, the forwarded photo keeps both custody entries', async () => {
  const attachment = prepare();
  b = await startApp();
  await openVault(C);

  await importFrom(join(USB, 'i2-to-c.amanat'));
  await importFrom(join(USB, 'i1-to-c-3.amanat'));
  await shot(b, 'merge-import-conflicts');
  await click(b, 'nav-conflicts');
  await shown(b, 'conflicts');
  const opened = await b.$$('[data-testid="conflict-open"]');
  const codes = [];
  for (const o of opened) codes.push(await o.getText());
  assert.deepEqual([...codes].sort(), ['ALA-2026-0301', 'ALA-2026-0302'], 'both conflicts are listed');
  await shot(b, 'merge-conflicts-listed');

  // The deletion beside the edit: kept edited, nothing lost.
  await opened[codes.indexOf('ALA-2026-0302')].click();
  await shown(b, 'conflict-deleted');
  await shot(b, 'merge-deleted-or-edited');
  await click(b, 'conflict-keep-version');
  await shown(b, 'conflict-resolved');

  // The two summaries: the coordinator keeps interviewer 2's.
  await click(b, 'conflict-open');
  await shown(b, 'conflict-detail');
  const fields = await b.$$('[data-testid="conflict-field"]');
  assert.equal(fields.length, 1, 'only the summary differs');
  const texts = [];
  for (const v of await b.$$('[data-testid="conflict-field"] .value')) texts.push(await v.getText());
  const i2 = texts.findIndex((t) => t.startsWith('Interviewer 2'));
  assert.ok(i2 >= 0, `interviewer 2's summary is offered: ${texts}`);
  await (await b.$$('[data-testid="conflict-pick"]'))[i2].click();
  await type(b, 'conflict-reason', 'interviewer 2 spoke to the witness again');
  await shot(b, 'merge-choose-summary');
  await click(b, 'conflict-resolve');
  await shown(b, 'conflict-resolved');
  await shown(b, 'conflicts-empty');
  await shot(b, 'merge-all-resolved');

  // Interviewer 1's deletion of the testimony the coordinator checked meanwhile waits for
  // review; accepting it keeps the coordinator's check beside it as a conflict, not lost.
  await shown(b, 'proposals');
  assert.match(await text('proposal-why'), /delet/i);
  await click(b, 'proposal-open');
  await shown(b, 'proposal-detail');
  await type(b, 'proposal-reason', 'interviewer 1 spoke to the family');
  await click(b, 'proposal-accept');
  assert.match(await text('proposal-done'), /both are kept as a conflict/);
  await shown(b, 'conflict-open');
  await shot(b, 'merge-accepted-beside');
  await click(b, 'conflict-open');
  await shown(b, 'conflict-deleted');
  await click(b, 'conflict-keep-version');
  await shown(b, 'conflict-resolved');
  await shown(b, 'conflicts-empty');
  // Its history says the deletion was held here and accepted, and why.
  await click(b, 'nav-list');
  for (const link of await b.$$('[data-testid="open-testimony"]')) {
    if ((await link.getText()) === 'ALA-2026-0303') {
      await link.click();
      break;
    }
  }
  await click(b, 'show-history');
  assert.match(await text('history-accepted'), /accepted .*: interviewer 1 spoke to the family/);
  await shot(b, 'merge-history-accepted');
  await click(b, 'history-back');
  await click(b, 'close-editor');
  await stopApp(b);
  b = null;
  // The app's process lets go of the vault a moment after its session ends.
  for (let i = 0; i < 50 && /vault_locked/.test(cliStatus(C, ['list'])); i++) await new Promise((r) => setTimeout(r, 200));

  // Afterwards: the resolved summary, the kept edit, the photo usable with both custody entries.
  const shownT = cli(C, ['show', 'ALA-2026-0301']);
  assert.match(shownT, /Interviewer 2: detained in March 2018 in Ghulja/);
  assert.match(cli(C, ['show', 'ALA-2026-0302']), /gave the date: 12 March/);
  assert.match(cli(C, ['show', 'ALA-2026-0303']), /Checked with the family/);
  assert.match(cli(C, ['history', 'ALA-2026-0303']), /accepted here .*: interviewer 1 spoke to the family/);
  const out = join(ROOT, 'merge-extracted-by-c.png');
  cli(C, ['extract', attachment, '--out', out]);
  assert.ok(existsSync(out) && readFileSync(out).length > 0, 'the photo extracts');
  const [att] = JSON.parse(cli(C, ['attachments', 'ALA-2026-0301', '--json']));
  const extractions = att.attachment.custody.filter((e) => (e.note ?? '').startsWith('extracted'));
  assert.equal(extractions.length, 2, `interviewer 2's extraction and the coordinator's: ${JSON.stringify(att.attachment.custody)}`);
  assert.match(cli(C, ['verify']), /^ok:/m);
});
