// Trust at the seams, in the real app (docs/trust-model.md): a coordinator's vault, made
// ready with the command line together with an interviewer's and a partner's. The coordinator
// previews an anonymised export with every replacement highlighted — in Kazakh and in Uyghur
// (screenshots) — imports the partner's rewrite of a testimony (kept as a proposal, reviewed
// and rejected), imports a bundle from the interviewer after the interviewer changed keys
// (the new key is named as theirs, accepted after comparing), marks the interviewer's old key
// compromised, and finally changes its own keys after a "coerced unlock": new recovery key
// first, then the passphrases; the vault then opens with the new passphrase only.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { APP, ROOT, answerDialog, byId, choose, click, shot, shown, startApp, stopApp, type } from './driver.mjs';

const CLI = join(dirname(APP), 'amanat');
const C = join(ROOT, 'trust-coordinator');
const I = join(ROOT, 'trust-interviewer');
const P = join(ROOT, 'trust-partner');
const USB = join(ROOT, 'usb');
const PASS = 'saffron glacier violin orchard';
const NEW_PASS = 'after the border a new phrase';

let b;
after(async () => b && stopApp(b));

const visible = async (id) => (await byId(b, id)).isDisplayed();
const text = async (id) => (await shown(b, id)).getText();

/** Runs the command line on `vault` (a cheap KDF: these vaults are made for the test). */
function cli(vault, args, { input, pass = PASS } = {}) {
  const passFile = join(ROOT, `pass-${Math.random().toString(36).slice(2)}`);
  writeFileSync(passFile, `${pass}\n`);
  const r = spawnSync(CLI, ['--vault', vault, '--passphrase-file', passFile, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, AMANAT_INSECURE_TEST_KDF: '10', AMANAT_LANG: 'en' },
  });
  assert.equal(r.status, 0, `amanat ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const WITNESS = {
  code: 'ALA-2026-0101',
  summary: 'Ержанаттың інісі 2018 жылы ұсталды',
  narrative:
    'Ержанатты полиция 2018 жылы ұстады. Абайдың інісі келді. ئەرجاناتنىڭ ئاكىسى لاگېرغا ئېلىپ كېتىلدى. Ержанат Абай туралы ештеңе естілмеді.',
  testifier: { names: [{ name: 'Гүлнар Сейітқызы', script: 'Cyrl' }] },
  persons: [
    {
      names: [
        { name: 'Ержанат Абай', script: 'Cyrl' },
        { name: 'ئەرجانات ئاباي', script: 'Arab' },
      ],
      roles: ['victim'],
      relation: 'brother',
    },
  ],
  consents: [
    {
      scopes: {
        store_internally: 'granted',
        share_with_partner: 'granted',
        publish_anonymised: 'granted',
        publish_named: 'refused',
      },
    },
  ],
};

/** The three vaults and the bundles the coordinator will import. */
function prepare() {
  mkdirSync(USB, { recursive: true });
  for (const [dir, name] of [[C, 'Coordinator office'], [I, 'Interviewer laptop'], [P, 'Partner NGO']]) {
    cli(dir, ['init', '--name', name]);
  }
  const card = (dir) => cli(dir, ['card']).trim().split('\n')[0];
  const [cardC, cardI, cardP] = [card(C), card(I), card(P)];
  cli(C, ['contact', 'add', cardI, '--name', 'Aigerim (interviewer)', '--trust', 'organisation']);
  cli(C, ['contact', 'verify', 'Aigerim (interviewer)']);
  cli(C, ['contact', 'add', cardP, '--name', 'Partner NGO', '--trust', 'partner']);
  cli(C, ['contact', 'verify', 'Partner NGO']);
  cli(I, ['contact', 'add', cardC, '--name', 'Coordinator', '--trust', 'organisation']);
  cli(P, ['contact', 'add', cardC, '--name', 'Coordinator', '--trust', 'organisation']);

  // The coordinator's testimony goes to the partner, who rewrites it and widens its consent.
  cli(C, ['add'], { input: JSON.stringify(WITNESS) });
  cli(C, ['export', '--to', 'Partner NGO', '--ids', WITNESS.code, '--out', join(USB, 'to-partner.amanat')]);
  cli(P, ['import', join(USB, 'to-partner.amanat')]);
  const patch = join(ROOT, 'partner-patch.json');
  writeFileSync(
    patch,
    JSON.stringify({
      narrative: 'The partner rewrote this account.',
      consents: [{ scopes: { store_internally: 'granted', share_with_partner: 'granted', publish_anonymised: 'granted', publish_named: 'granted' } }],
    }),
  );
  cli(P, ['edit', WITNESS.code, '--json', patch, '--reason', 'our version']);
  cli(P, ['export', '--to', 'Coordinator', '--out', join(USB, 'from-partner.amanat')]);

  // The interviewer sends a testimony, then changes keys and sends a change to it.
  cli(I, ['add'], { input: JSON.stringify({ ...WITNESS, code: 'ALA-2026-0202', persons: [] }) });
  cli(I, ['export', '--to', 'Coordinator', '--out', join(USB, 'interviewer-1.amanat')]);
  cli(C, ['import', join(USB, 'interviewer-1.amanat')]);
  const newPass = join(ROOT, 'interviewer-new-pass');
  writeFileSync(newPass, `${NEW_PASS}\n`);
  cli(I, ['change-keys', '--recovery-key-out', join(ROOT, 'interviewer-recovery.txt'), '--new-passphrase-file', newPass]);
  const summary = join(ROOT, 'interviewer-patch.json');
  writeFileSync(summary, JSON.stringify({ summary: 'Checked again after the border' }));
  cli(I, ['edit', 'ALA-2026-0202', '--json', summary], { pass: NEW_PASS });
  cli(I, ['export', '--to', 'Coordinator', '--out', join(USB, 'interviewer-2.amanat')], { pass: NEW_PASS });
  return cli(I, ['card'], { pass: NEW_PASS }).trim().split('\n')[0];
}

async function openVault(dir, pass) {
  await b.waitUntil(async () => (await visible('first-run')) || (await visible('unlock-screen')), { timeout: 30000 });
  if (await visible('unlock-screen')) await click(b, 'choose-other');
  await shown(b, 'first-run');
  await click(b, 'tab-open');
  await (await byId(b, 'vault-dir')).setValue(dir);
  await type(b, 'passphrase', pass);
  await click(b, 'open');
}

async function chooseBundle(file) {
  await click(b, 'nav-import');
  await Promise.all([click(b, 'import-choose'), answerDialog('Choose a bundle', file)]);
  await shown(b, 'import-summary', 60000);
}

async function previewIn(lang) {
  await click(b, 'nav-settings');
  await choose(b, 'language', lang);
  await click(b, 'nav-export');
  await click(b, 'export-choose');
  await click(b, 'export-testimony');
  await click(b, 'export-next');
  for (const c of await b.$$('[data-testid="export-contact"]')) {
    if ((await (await c.parentElement()).getText()).includes('Partner')) await c.click();
  }
  await click(b, 'export-next');
  await click(b, 'export-profile-anonymised');
  await click(b, 'export-next');
  await shown(b, 'anon-preview', 30000);
  const removed = [];
  for (const m of await b.$$('[data-testid="anon-replacement"]')) removed.push(await m.getAttribute('title'));
  for (const name of ['Ержанатты', 'Абайдың', 'ئەرجاناتنىڭ']) {
    assert.ok(removed.includes(name), `${lang}: ${name} is highlighted as replaced (${removed.join(', ')})`);
  }
  // What the bundle will say: the preview without the struck-out originals.
  const kept = await b.execute(() => {
    const copy = document.querySelector('[data-testid="anon-preview"]').cloneNode(true);
    copy.querySelectorAll('del').forEach((d) => d.remove());
    return copy.textContent;
  });
  for (const name of ['Ержанат', 'Абай', 'ئەرجانات', 'Гүлнар']) {
    assert.ok(!kept.includes(name), `${lang}: ${name} left in the preview: ${kept}`);
  }
  await (await byId(b, 'anon-preview')).scrollIntoView();
  await shot(b, `trust-anonymised-preview-${lang}`);
}

test('a coordinator: anonymised preview in Kazakh and Uyghur, a partner’s proposal, a key change followed, a key compromised, own keys changed', async () => {
  const interviewerCard = prepare();
  b = await startApp();
  await openVault(C, PASS);
  await shown(b, 'nav-contacts', 60000);

  // 1. The anonymised preview, in Kazakh and in Uyghur.
  await previewIn('kk');
  await previewIn('ug');
  await click(b, 'nav-settings');
  await choose(b, 'language', 'en');

  // 2. The partner's rewrite: held for review, not applied.
  await chooseBundle(join(USB, 'from-partner.amanat'));
  await click(b, 'import-run');
  await shown(b, 'import-done', 60000);
  await shot(b, 'trust-partner-import-held');
  await click(b, 'nav-conflicts');
  await shown(b, 'proposals');
  assert.match(await text('proposal-why'), /without authority/);
  await click(b, 'proposal-open');
  await shown(b, 'proposal-detail');
  await shot(b, 'trust-proposal-review');
  await click(b, 'proposal-reject');
  await shown(b, 'proposal-done');
  await shown(b, 'proposals-empty');
  await click(b, 'nav-list');
  for (const link of await b.$$('[data-testid="open-testimony"]')) {
    if ((await link.getText()) === WITNESS.code) {
      await link.click();
      break;
    }
  }
  const narrative = await (await shown(b, 'field-narrative')).getValue();
  assert.ok(narrative.startsWith('Ержанатты') && !narrative.includes('The partner rewrote'), 'the rejected rewrite is not applied');
  await click(b, 'close-editor');

  // 3. The interviewer's bundle after their key change: named as theirs, accepted after comparing.
  await chooseBundle(join(USB, 'interviewer-2.amanat'));
  await shown(b, 'import-new-key');
  assert.match(await text('import-new-key'), /Aigerim \(interviewer\)/);
  await shot(b, 'trust-import-new-key');
  await click(b, 'import-confirm-sender');
  await click(b, 'import-run');
  await shown(b, 'import-done', 60000);
  await click(b, 'nav-contacts');
  await shown(b, 'contact-earlier-key');
  const newFingerprint = interviewerCard.split(':').pop();
  assert.match(await text('contact-list'), new RegExp(newFingerprint));

  // 4. Their old key marked compromised from the day it was taken.
  const rows = await b.$$('[data-testid="contact-row"]');
  for (const row of rows) {
    if ((await row.getText()).includes('Aigerim')) {
      await (await row.$('[data-testid="contact-compromise"]')).click();
      break;
    }
  }
  await shown(b, 'contact-compromise-form');
  await type(b, 'contact-compromised-date', '2026-11-30');
  // The key taken is the earlier one (the contact's current key is the new one).
  const earlier = (await text('contact-earlier-key')).match(/\d{5}(-\d{5}){4}/)[0];
  await choose(b, 'contact-compromised-key', earlier);
  await shot(b, 'trust-mark-compromised');
  await click(b, 'contact-compromised-confirm');
  await b.pause(1500);
  if (await visible('error')) assert.fail(`marking failed: ${await text('error')}`);
  await b.waitUntil(async () => (await text('contact-list')).includes('compromised since'), { timeout: 10000 });
  await shot(b, 'trust-contact-compromised');

  // 5. Its own keys changed: the new recovery key first, then the passphrases.
  await click(b, 'nav-settings');
  await click(b, 'keys-begin');
  await shown(b, 'recovery-key');
  await click(b, 'recovery-confirm');
  await type(b, 'keys-current', PASS);
  await type(b, 'keys-next', NEW_PASS);
  await type(b, 'keys-next-repeat', NEW_PASS);
  await shot(b, 'trust-change-keys');
  await click(b, 'keys-change');
  await shown(b, 'keys-done', 120000);
  await shot(b, 'trust-keys-changed');
  await click(b, 'lock');
  await openVault(C, PASS);
  await shown(b, 'error', 60000);
  await (await byId(b, 'passphrase')).clearValue();
  await type(b, 'passphrase', NEW_PASS);
  await click(b, 'open');
  await shown(b, 'nav-contacts', 60000);
});
