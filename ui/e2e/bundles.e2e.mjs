// Interviewer → coordinator through the real app, with two vaults: each adds the other's
// card and compares fingerprints; the interviewer writes two testimonies (one with consent to
// store internally, one without), exports through the wizard to a USB folder (the consent
// check leaves the second out), the coordinator checks and imports the bundle; then both
// change the testimony differently, the interviewer exports again, and the coordinator sees
// one conflict and resolves it field by field. A screenshot of every wizard step.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ROOT, answerDialog, byId, choose, click, shot, shown, startApp, stopApp, type } from './driver.mjs';

const A = join(ROOT, 'vault-interviewer');
const B = join(ROOT, 'vault-coordinator');
const USB = join(ROOT, 'usb');
const PASS_A = 'juniper lantern copper harbour';
const PASS_B = 'saffron glacier violin orchard';

let b;
after(async () => b && stopApp(b));

const visible = async (id) => (await byId(b, id)).isDisplayed();
const text = async (id) => (await shown(b, id)).getText();

async function toFirstRun() {
  await b.waitUntil(async () => (await visible('first-run')) || (await visible('unlock-screen')), { timeout: 30000 });
  if (await visible('unlock-screen')) await click(b, 'choose-other');
  await shown(b, 'first-run');
}

async function create(dir, name, pass) {
  await toFirstRun();
  await (await byId(b, 'vault-dir')).setValue(dir);
  await type(b, 'device-name', name);
  await type(b, 'passphrase', pass);
  await type(b, 'passphrase-repeat', pass);
  await click(b, 'create');
  await shown(b, 'recovery-key', 60000);
  await click(b, 'recovery-confirm');
  await click(b, 'recovery-done');
  await shown(b, 'nav-contacts');
}

async function open(dir, pass) {
  await click(b, 'lock');
  await toFirstRun();
  await click(b, 'tab-open');
  await (await byId(b, 'vault-dir')).setValue(dir);
  await type(b, 'passphrase', pass);
  await click(b, 'open');
  await shown(b, 'nav-contacts', 60000);
}

async function myCard() {
  await click(b, 'nav-contacts');
  return (await (await shown(b, 'my-card-text')).getValue()).trim();
}

async function addContact(card, name, step) {
  await click(b, 'nav-contacts');
  await type(b, 'contact-card-input', card);
  await type(b, 'contact-name', name);
  await click(b, 'contact-trust-organisation');
  await click(b, 'contact-add-submit');
  await shown(b, 'contact-compare');
  await shot(b, `${step}-contact-compare-fingerprint`);
  await click(b, 'contact-compared');
  await b.waitUntil(async () => (await text('contact-list')).includes('Compared'), { timeout: 10000 });
}

async function writeTestimony(code, summary, consent) {
  await click(b, 'nav-list');
  await click(b, 'new-testimony');
  await type(b, 'field-code', code);
  await type(b, 'field-summary', summary);
  await type(b, 'testifier-name-0', `Witness of ${code}`);
  if (consent) {
    await click(b, 'add-consent');
    await choose(b, 'consent-0-scope-store_internally', 'granted');
  }
  await click(b, 'save');
  await shown(b, 'attach-empty');
  await click(b, 'close-editor');
  await shown(b, 'new-testimony');
}

async function editSummary(code, summary) {
  await click(b, 'nav-list');
  await shown(b, 'testimony-list');
  for (const link of await b.$$('[data-testid="open-testimony"]')) {
    if ((await link.getText()) === code) {
      await link.click();
      break;
    }
  }
  const field = await shown(b, 'field-summary');
  await field.clearValue();
  await field.setValue(summary);
  await click(b, 'save');
  await shown(b, 'attach-empty');
  await click(b, 'close-editor');
}

/** The export wizard, every step on screen; returns the bundle's SHA-256 as shown. */
async function exportTo(file, { shots, expectLeftOut }) {
  await click(b, 'nav-export');
  await shown(b, 'export-step-what');
  if (shots) await shot(b, 'export-1-testimonies');
  await click(b, 'export-next');
  await shown(b, 'export-step-to');
  await click(b, 'export-contact');
  if (shots) await shot(b, 'export-2-recipients');
  await click(b, 'export-next');
  await shown(b, 'export-step-profile');
  if (shots) await shot(b, 'export-3-profile');
  await click(b, 'export-next');
  await shown(b, 'export-step-check');
  const summary = await text('export-step-check');
  assert.match(summary, /1 testimony will go to/);
  if (expectLeftOut) assert.match(await text('export-left-out'), new RegExp(`${expectLeftOut}: no consent is recorded`));
  if (shots) await shot(b, 'export-4-consent-check');
  await click(b, 'export-next');
  await shown(b, 'export-step-where');
  if (shots) await shot(b, 'export-5-destination');
  await Promise.all([click(b, 'export-write'), answerDialog('Save the bundle', file, { save: true })]);
  await shown(b, 'export-step-done', 60000);
  const sha = (await text('export-sha256')).replace(/\s+/g, '');
  if (shots) await shot(b, 'export-6-done');
  assert.ok(existsSync(file), `${file} was written`);
  assert.deepEqual(readdirSync(USB).filter((f) => f.endsWith('.tmp')), [], 'no temporary file is left');
  return sha;
}

async function importFrom(file, { shots }) {
  await click(b, 'nav-import');
  await Promise.all([click(b, 'import-choose'), answerDialog('Choose a bundle', file)]);
  await shown(b, 'import-summary', 60000);
  if (shots) await shot(b, 'import-1-summary');
  const summary = await text('import-summary');
  await click(b, 'import-run');
  await shown(b, 'import-done', 60000);
  if (shots) await shot(b, 'import-2-done');
  return summary;
}

test('interviewer to coordinator: contacts, export wizard, import, and a conflict resolved', async () => {
  b = await startApp();
  await toFirstRun();
  await choose(b, 'language', 'en');
  await create(A, 'Interviewer laptop', PASS_A);
  const cardA = await myCard();
  await shot(b, 'contacts-my-card');
  await click(b, 'lock');
  await create(B, 'Coordinator office', PASS_B);
  const cardB = await myCard();
  await addContact(cardA, 'Aigerim (interviewer)', 'coordinator');

  await open(A, PASS_A);
  await addContact(cardB, 'Coordinator', 'interviewer');
  await shot(b, 'contacts-list');
  await writeTestimony('ALA-2026-0001', 'Brother detained in 2018', true);
  await writeTestimony('ALA-2026-0002', 'No consent recorded yet', false);
  const bundle = join(USB, 'to-coordinator.amanat');
  const sha = await exportTo(bundle, { shots: true, expectLeftOut: 'ALA-2026-0002' });
  const onDisk = (await import('node:crypto')).createHash('sha256').update(readFileSync(bundle)).digest('hex');
  assert.equal(sha, onDisk, 'the SHA-256 shown is the file’s');

  await open(B, PASS_B);
  const summary = await importFrom(bundle, { shots: true });
  assert.match(summary, /From ⁨?Aigerim \(interviewer\)⁩?/);
  assert.match(summary, /1 new testimony/);
  await click(b, 'nav-list');
  const list = await text('testimony-list');
  assert.ok(list.includes('ALA-2026-0001') && !list.includes('ALA-2026-0002'), list);

  // The same bundle again: checked, recognised, nothing to import.
  await click(b, 'nav-import');
  await Promise.all([click(b, 'import-choose'), answerDialog('Choose a bundle', bundle)]);
  await shown(b, 'import-already', 60000);

  // Both sides change the summary; the interviewer's next bundle makes one conflict here.
  await editSummary('ALA-2026-0001', 'Coordinator: brother detained in March 2018');
  await open(A, PASS_A);
  await editSummary('ALA-2026-0001', 'Interviewer: brother detained in spring 2018, Ghulja');
  const second = join(USB, 'to-coordinator-2.amanat');
  await exportTo(second, { shots: false });
  await open(B, PASS_B);
  await importFrom(second, { shots: false });
  await shown(b, 'import-show-conflicts');
  await shot(b, 'import-conflict-made');
  assert.equal(await text('conflict-count'), '1');
  await click(b, 'import-show-conflicts');
  await click(b, 'conflict-open');
  await shown(b, 'conflict-detail');
  const fields = await b.$$('[data-testid="conflict-field"]');
  assert.equal(fields.length, 1, 'only the summary differs');
  // Keep the interviewer's summary: the second version (sorted by time).
  const picks = await b.$$('[data-testid="conflict-pick"]');
  await picks[1].click();
  await type(b, 'conflict-reason', 'the interviewer heard it first-hand');
  await shot(b, 'conflict-choose');
  await click(b, 'conflict-resolve');
  await shown(b, 'conflict-resolved');
  await shown(b, 'conflicts-empty');
  await shot(b, 'conflict-resolved');
  await click(b, 'nav-list');
  // (The summary cell clips its text with an ellipsis; WebKit's getText leaves such cells out.)
  const listed = () => b.execute(() => document.querySelector('[data-testid="testimony-list"]')?.textContent ?? '');
  await b.waitUntil(async () => /Interviewer: brother detained in spring 2018/.test(await listed()), {
    timeout: 10000,
    timeoutMsg: 'the resolved summary is not in the list',
  });
  await shot(b, 'list-after-resolution');
});

test('a witness withdraws: the interviewer erases the testimony, sends the withdrawal, the coordinator imports it', async () => {
  await open(A, PASS_A);
  await click(b, 'nav-list');
  await shown(b, 'testimony-list');
  for (const link of await b.$$('[data-testid="open-testimony"]')) {
    if ((await link.getText()) === 'ALA-2026-0001') {
      await link.click();
      break;
    }
  }
  await click(b, 'erase-open');
  assert.match(await text('erase-copies'), /Coordinator/);
  await type(b, 'erase-reason', 'Withdrawn at the witness’s request');
  await type(b, 'erase-code', 'ALA-2026-0001');
  await click(b, 'erase-confirm');
  await shown(b, 'erase-done', 60000);
  await shot(b, 'withdrawal-1-erased');
  await click(b, 'erase-close');

  // Export → Only withdrawals.
  await click(b, 'nav-export');
  await shown(b, 'export-step-what');
  await click(b, 'export-withdrawals');
  await click(b, 'export-next');
  await click(b, 'export-contact');
  await click(b, 'export-next');
  await click(b, 'export-next');
  await shown(b, 'export-step-check');
  assert.match(await text('export-summary'), /The erasure of 1 testimony goes to ⁨?Coordinator/);
  assert.match(await text('export-deleted'), /an erased testimony/);
  await shot(b, 'withdrawal-2-export-check');
  await click(b, 'export-next');
  const file = join(USB, 'withdrawal.amanat');
  await Promise.all([click(b, 'export-write'), answerDialog('Save the bundle', file, { save: true })]);
  await shown(b, 'export-step-done', 60000);

  await open(B, PASS_B);
  await click(b, 'nav-import');
  await Promise.all([click(b, 'import-choose'), answerDialog('Choose a bundle', file)]);
  await shown(b, 'import-summary', 60000);
  const erased = await text('import-erased');
  assert.match(erased, /1 testimony is erased here/);
  assert.match(erased, /ALA-2026-0001.*Withdrawn at the witness’s request/s);
  await shot(b, 'withdrawal-3-import-summary');
  await click(b, 'import-run');
  await shown(b, 'import-done', 60000);
  await click(b, 'nav-list');
  const listed = () => b.execute(() => document.querySelector('[data-testid="testimony-list"]')?.textContent ?? '');
  await b.waitUntil(async () => !(await listed()).includes('ALA-2026-0001'), { timeout: 10000, timeoutMsg: 'still listed' });
  await shot(b, 'withdrawal-4-coordinator-list');
});
