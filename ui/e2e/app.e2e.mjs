// The user's story, end to end, in the real app binary under Xvfb: create a vault, keep the
// recovery key, write a testimony in three scripts with a partial date, lock, be refused a
// wrong passphrase, unlock and find it unchanged; panic-lock; lose an edit to kill -9 and
// get it back as a draft. Every screen is saved under target/e2e/.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ROOT, SHOTS, appPid, byId, click, shot, shown, startApp, stopApp, type } from './driver.mjs';

const VAULT = join(ROOT, 'vault');
const PASS = 'river lantern copper autumn';
const NEW_PASS = 'seven quiet birches under snow';
// Unique strings typed in the app: after the run, none may be found in plaintext anywhere.
const CANARY = {
  cyrillic: 'Ержанат Абай канарейка-қ7',
  arabic: 'ئەرجانات ئاباي قاناري',
  chinese: '叶尔扎那提金丝雀',
  code: 'ALA-E2E-KANAREYKA',
  narrative: 'Narrative canary QX7-VOLGA: detained at night, taken to Ghulja.',
  edit: 'Edit canary ZB4-TARIM typed just before the crash.',
};
// Outside the folders that are scanned (vault, home, tmp under ROOT).
appendFileSync(join(ROOT, 'canaries.txt'), Object.values(CANARY).join('\n') + '\n');

let b;
after(async () => b && stopApp(b));

async function unlock(passphrase) {
  await type(b, 'passphrase', passphrase);
  await click(b, 'unlock');
}

test('create a vault, write a testimony in three scripts, lock, refuse a wrong passphrase, unlock, find it unchanged', async () => {
  b = await startApp();
  await shown(b, 'first-run');
  await shot(b, 'first-run');

  await (await byId(b, 'vault-dir')).setValue(VAULT);
  await type(b, 'device-name', 'Айгерім');
  await type(b, 'passphrase', PASS);
  await type(b, 'passphrase-repeat', PASS);
  await shown(b, 'strength');
  await shot(b, 'first-run-filled');
  await click(b, 'create');

  const key = await (await shown(b, 'recovery-key', 60000)).getText();
  assert.match(key, /^AGE-SECRET-KEY-1( [A-Z0-9]{1,5}){10,}$/, 'a recovery key is shown, grouped');
  assert.equal(await (await byId(b, 'recovery-done')).isEnabled(), false, 'cannot continue before confirming');
  await type(b, 'recovery-path', join(ROOT, 'usb', 'recovery-key.txt'));
  await shot(b, 'recovery-key');
  await click(b, 'recovery-save');
  await shown(b, 'recovery-saved');
  await click(b, 'recovery-confirm');
  await click(b, 'recovery-done');

  await shown(b, 'empty-list');
  await shot(b, 'empty-list');

  await click(b, 'new-testimony');
  await type(b, 'field-code', CANARY.code);
  await type(b, 'field-interview-date', 'spring 2018');
  const reading = await (await shown(b, 'field-interview-date-reading')).getText();
  // Said in words, bounds as dates of the UI language, and the stored EDTF beside them.
  assert.match(reading, /spring 2018/);
  assert.match(reading, /Mar 1, 2018/);
  assert.match(reading, /May 31, 2018/);
  assert.match(reading, /2018-21/);
  await type(b, 'field-interviewer', 'Айгерім');
  await type(b, 'testifier-name-0', CANARY.cyrillic);
  await click(b, 'testifier-add-name');
  await type(b, 'testifier-name-1', CANARY.arabic);
  await click(b, 'testifier-add-name');
  await type(b, 'testifier-name-2', CANARY.chinese);
  await type(b, 'field-summary', `${CANARY.chinese} — ${CANARY.arabic}`);
  await type(b, 'field-narrative', CANARY.narrative);
  await shot(b, 'editor-narrative');
  await b.execute(() => window.scrollTo(0, 0));
  await shot(b, 'editor-top');
  await click(b, 'save');
  await b.waitUntil(async () => (await (await byId(b, 'draft-status')).getText()).length > 0, { timeout: 15000 });
  assert.equal(await (await byId(b, 'error')).isExisting(), false, 'saving showed no error');
  await click(b, 'show-history');
  await shown(b, 'history-entry');
  await shot(b, 'history');
  await click(b, 'history-back');
  await click(b, 'close-editor');

  await shown(b, 'testimony-list');
  assert.match(await (await shown(b, 'counts')).getText(), /1 shown of 1 testimony/);
  assert.equal(await (await byId(b, 'draft-offer')).isExisting(), false, 'no draft left once saved');
  await shot(b, 'list');

  await click(b, 'nav-settings');
  await shown(b, 'settings');
  await shot(b, 'settings');
  await (await shown(b, 'fingerprint')).scrollIntoView();
  assert.match(await (await byId(b, 'card-text')).getValue(), /^amanat-card:v1:/);
  await shot(b, 'settings-contact-card');

  await click(b, 'lock');
  await shown(b, 'unlock-screen');
  await shot(b, 'locked');
  const page = await b.getPageSource();
  for (const c of Object.values(CANARY)) assert.ok(!page.includes(c), 'no testimony text in the locked page');

  await unlock('not the passphrase');
  const err = await shown(b, 'error', 60000);
  assert.match(await err.getText(), /Wrong passphrase/);
  await shot(b, 'wrong-passphrase');

  await unlock(PASS);
  await shown(b, 'testimony-list', 60000);
  await click(b, 'open-testimony');
  assert.equal(await (await shown(b, 'field-code')).getValue(), CANARY.code);
  assert.equal(await (await byId(b, 'testifier-name-0')).getValue(), CANARY.cyrillic);
  assert.equal(await (await byId(b, 'testifier-name-1')).getValue(), CANARY.arabic);
  assert.equal(await (await byId(b, 'testifier-name-2')).getValue(), CANARY.chinese);
  assert.equal(await (await byId(b, 'field-narrative')).getValue(), CANARY.narrative);
  assert.equal(await (await byId(b, 'field-interview-date')).getValue(), '2018-21');
  await shot(b, 'reopened');
});

test('the panic shortcut locks at once', async () => {
  await b.keys(['Control', 'Shift', 'L']);
  await shown(b, 'unlock-screen');
  const page = await b.getPageSource();
  for (const c of Object.values(CANARY)) assert.ok(!page.includes(c), 'no testimony text after the panic lock');
  await shot(b, 'after-panic');
});

test('an edit survives kill -9 of the app as an offered draft', async () => {
  await unlock(PASS);
  await click(b, 'open-testimony');
  const narrative = await shown(b, 'field-narrative');
  await narrative.addValue(` ${CANARY.edit}`);
  // Autosave runs every 3 s; wait until it says the draft is saved, then kill the app hard.
  await b.waitUntil(async () => /autosaved/.test(await (await byId(b, 'draft-status')).getText()), {
    timeout: 20000,
  });
  await shot(b, 'draft-autosaved');
  process.kill(appPid(), 'SIGKILL');
  await stopApp(b);

  b = await startApp();
  await shown(b, 'unlock-screen');
  await unlock(PASS);
  await shown(b, 'draft-offer', 60000);
  await shot(b, 'draft-offer');
  await click(b, 'draft-restore');
  const restored = await (await shown(b, 'field-narrative')).getValue();
  assert.equal(restored, `${CANARY.narrative} ${CANARY.edit}`);
  await click(b, 'save');
  await b.waitUntil(async () => /Saved/.test(await (await byId(b, 'draft-status')).getText()), { timeout: 15000 });
  await click(b, 'close-editor');
  await shown(b, 'testimony-list');
  assert.equal(await (await byId(b, 'draft-offer')).isExisting(), false, 'the draft is gone once saved');
});

test('the recovery key saved at creation opens the vault and sets a new passphrase', async () => {
  await click(b, 'lock');
  await click(b, 'use-recovery');
  const saved = readFileSync(join(ROOT, 'usb', 'recovery-key.txt'), 'utf8').split('\n')[1];
  // Typed as people copy it from paper: lower case, in groups.
  await type(b, 'recovery-input', saved.toLowerCase().match(/.{1,5}/g).join(' '));
  await type(b, 'new-passphrase', NEW_PASS);
  await type(b, 'new-passphrase-repeat', NEW_PASS);
  await shot(b, 'recovery-unlock');
  await click(b, 'recover');
  await shown(b, 'testimony-list', 60000);
  await click(b, 'lock');
  await unlock(NEW_PASS);
  await shown(b, 'testimony-list', 60000);
});

test('the vault locks itself after the idle timeout', async () => {
  await click(b, 'nav-settings');
  const idle = await shown(b, 'idle-minutes');
  await idle.setValue('1');
  await click(b, 'save-idle');
  // One minute without a key press or click, then the shell locks and reloads the page.
  await shown(b, 'unlock-screen', 90000);
  const page = await b.getPageSource();
  for (const c of Object.values(CANARY)) assert.ok(!page.includes(c), 'no testimony text after the idle lock');
  await shot(b, 'idle-locked');
});
