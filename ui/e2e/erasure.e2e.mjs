// A witness's withdrawal in the real app (issue 21): a testimony with words in four scripts
// in three versions, a file with a marker inside and an unsaved draft is opened, "Withdraw
// and erase…" names it and says nobody has a copy, refuses to go on until a reason and its
// code are typed, erases it and says what went. Then, with the app locked, the command line
// decrypts every file of the vault with its key and finds none of the words or the marker;
// the vault verifies and the history keeps the signed trace with the reason. Screenshots of
// the confirmation and of the outcome.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ROOT, byId, click, shot, shown, startApp, stopApp, type } from './driver.mjs';

const VAULT = join(ROOT, 'vault-erasure');
const PASS = 'juniper harbour slate orchard';
const CLI = join(process.env.E2E_TOOLS ?? '', 'amanat');
const WORDS = ['Erasecanaryq', 'Ержанатбекқ', 'ئەرجاناتبېكق', '鹦鹉笼屉', 'Draftcanaryz'];
const MARKER = 'ERASURE-FILE-MARKER-9C2D';
appendFileSync(join(ROOT, 'canaries.txt'), `${[...WORDS, MARKER].join('\n')}\n`);

function cli(args, input) {
  return execFileSync(CLI, ['--vault', VAULT, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, AMANAT_PASSPHRASE_FILE: join(ROOT, 'erasure-pass'), AMANAT_INSECURE_TEST_KDF: '10' },
  });
}

let b;
after(async () => b && stopApp(b));

test('withdraw and erase a testimony: confirmation, outcome, and nothing of it left in any file', async () => {
  writeFileSync(join(ROOT, 'erasure-pass'), `${PASS}\n`);
  cli(['init', '--name', 'Interviewer']);
  const narrative = WORDS.slice(0, 4).join(' ');
  cli(['add', '--json', '-'], JSON.stringify({ code: 'ERASE-1', narrative, testifier: { names: [{ name: WORDS[1] }] } }));
  cli(['add', '--json', '-'], JSON.stringify({ code: 'KEEP-2', narrative: 'Another witness.' }));
  for (const k of [1, 2]) cli(['edit', 'ERASE-1', '--json', '-'], JSON.stringify({ summary: `${WORDS[k]} ${k}` }));
  const file = join(ROOT, 'usb', 'statement.txt');
  writeFileSync(file, `statement ${MARKER}\n`);
  cli(['attach', 'ERASE-1', file]);
  const id = JSON.parse(cli(['show', 'ERASE-1', '--json'])).id;

  b = await startApp();
  const visible = async (el) => (await byId(b, el)).isDisplayed();
  await b.waitUntil(async () => (await visible('first-run')) || (await visible('unlock-screen')), { timeout: 30000 });
  if (await visible('unlock-screen')) await click(b, 'choose-other');
  await click(b, 'tab-open');
  await (await byId(b, 'vault-dir')).setValue(VAULT);
  await type(b, 'passphrase', PASS);
  await click(b, 'open');
  await shown(b, 'testimony-list', 60000);
  const codes = await b.execute(() => [...document.querySelectorAll('[data-testid="open-testimony"]')].map((e) => e.textContent.trim()));
  (await b.$$('[data-testid="open-testimony"]'))[codes.indexOf('ERASE-1')].click();
  await shown(b, 'editor');
  // An unsaved change, autosaved as an encrypted draft.
  const field = await shown(b, 'field-narrative');
  await field.setValue(`${narrative} ${WORDS[4]}`);
  await b.waitUntil(async () => /autosaved/.test(await (await byId(b, 'draft-status')).getText()), { timeout: 15000 });

  await click(b, 'erase-open');
  const dialog = await shown(b, 'erase-dialog');
  assert.match(await dialog.getText(), /ERASE-1/);
  assert.match(await (await shown(b, 'erase-copies')).getText(), /No contact has a copy/);
  assert.equal(await (await byId(b, 'erase-confirm')).isEnabled(), false, 'enabled before a reason and the code');
  await type(b, 'erase-reason', 'The witness withdrew on 30 November; her family was threatened.');
  await type(b, 'erase-code', 'ERASE-2');
  assert.equal(await (await byId(b, 'erase-confirm')).isEnabled(), false, 'enabled with the wrong code');
  await (await byId(b, 'erase-code')).clearValue();
  await type(b, 'erase-code', 'erase-1');
  await (await byId(b, 'erase-confirm')).waitForEnabled({ timeout: 5000 });
  await dialog.scrollIntoView({ block: 'center' });
  await shot(b, 'erase-confirmation');
  await click(b, 'erase-confirm');
  const done = await shown(b, 'erase-done', 60000);
  assert.match(await done.getText(), /ERASE-1\W* is erased\. Versions that keep only their proof: 3; files removed: 1; drafts removed: 1\./);
  assert.equal(await (await byId(b, 'field-narrative')).isExisting(), false, 'the erased text is still on screen');
  await shot(b, 'erase-done');
  await click(b, 'erase-close');
  await shown(b, 'testimony-list');
  assert.match(await (await shown(b, 'counts')).getText(), /1 shown of 1 testimony/);
  await shot(b, 'erase-list-after');
  await click(b, 'lock');
  await shown(b, 'unlock-screen', 60000);

  // What someone holding the disk and the passphrase finds: none of it.
  const scan = spawnSync(CLI, ['--vault', VAULT, 'scan', ...WORDS, MARKER], {
    encoding: 'utf8',
    env: { ...process.env, AMANAT_PASSPHRASE_FILE: join(ROOT, 'erasure-pass'), AMANAT_INSECURE_TEST_KDF: '10' },
  });
  assert.equal(scan.status, 0, `${scan.stdout}${scan.stderr}`);
  assert.match(scan.stdout, /none of the words is in any file/);
  // The scan finds what is there: the other testimony's words.
  const other = spawnSync(CLI, ['--vault', VAULT, 'scan', 'Another witness'], {
    encoding: 'utf8',
    env: { ...process.env, AMANAT_PASSPHRASE_FILE: join(ROOT, 'erasure-pass'), AMANAT_INSECURE_TEST_KDF: '10' },
  });
  assert.notEqual(other.status, 0, 'the scan must find what is still there');
  assert.match(cli(['verify']), /ok|verified/i);
  const history = cli(['history', id]);
  assert.match(history, /erase/);
  assert.match(history, /her family was threatened/);
});

test('hide now, erase later: the testimony leaves the list at once, waits with its date, and is kept again', async () => {
  await type(b, 'passphrase', PASS);
  await click(b, 'unlock');
  await shown(b, 'testimony-list', 60000);
  await click(b, 'open-testimony');
  await shown(b, 'editor');
  await click(b, 'erase-open');
  await shown(b, 'erase-dialog');
  await click(b, 'erase-later');
  const days = await shown(b, 'erase-days');
  await days.clearValue();
  await days.setValue('5');
  await type(b, 'erase-reason', 'Her son called to ask; the organisation will check with her.');
  await type(b, 'erase-code', 'KEEP-2');
  await (await byId(b, 'erase-confirm')).waitForEnabled({ timeout: 5000 });
  assert.match(await (await byId(b, 'erase-confirm')).getText(), /Hide now/);
  await shot(b, 'withdraw-later-confirmation');
  await click(b, 'erase-confirm');
  const hidden = await shown(b, 'erase-hidden', 30000);
  const day = new Date(Date.now() + 5 * 86400000);
  const year = String(day.getUTCFullYear());
  assert.match(await hidden.getText(), /KEEP-2\W* is hidden from every list, search and export\. It will be erased on /);
  assert.match(await hidden.getText(), new RegExp(year));
  await click(b, 'erase-close');
  await shown(b, 'testimony-list');
  const panel = await shown(b, 'withdrawn');
  assert.match(await panel.getText(), /1 withdrawn testimony waiting to be erased/);
  assert.match(await panel.getText(), /KEEP-2/);
  assert.match(await panel.getText(), /Her son called/);
  assert.equal((await b.$$('[data-testid="open-testimony"]')).length, 0, 'the withdrawn testimony is still listed');
  await shot(b, 'withdraw-later-list');
  await click(b, 'withdrawn-keep');
  await type(b, 'withdrawn-keep-reason', 'She confirmed in person that she wants it kept.');
  await click(b, 'withdrawn-keep-confirm');
  assert.match(await (await shown(b, 'withdrawn-done')).getText(), /KEEP-2\W* is kept and shows again\./);
  await b.waitUntil(async () => (await b.$$('[data-testid="open-testimony"]')).length === 1, { timeout: 10000 });
  await shot(b, 'withdraw-later-kept');
});
