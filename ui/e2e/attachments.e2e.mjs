// Files, end to end in the real app: attach a short video and a photo through the system's
// file chooser (driven with xdotool, as a user's keyboard would), see the photo, play the
// video and seek in it (served range by range by the media: scheme), save an unencrypted
// copy through the save dialog and get the same bytes, then damage the encrypted file on
// disk and see a clear error instead of a picture. A marker written inside both files is
// added to the canaries: scripts/e2e.sh then finds it nowhere on disk but in the source
// folder and the explicit copy (both under ROOT/usb, which is not scanned). Last, the witness
// withdraws the photo: erased for good, and the command line finds its name in no vault file.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { after, test } from 'node:test';
import { ROOT, answerDialog, byId, choose, click, shot, shown, startApp, stopApp, type } from './driver.mjs';

const VAULT = join(ROOT, 'vault-files');
const USB = join(ROOT, 'usb');
const PASS = 'willow ember granite meadow';
const MARKER = 'AMANAT-MEDIA-MARKER-5E1F0C';
const VIDEO_NAME = 'interview-canary-V7Q.webm';
const PHOTO_NAME = 'notice-canary-P3Z.png';
const VIDEO = join(USB, VIDEO_NAME);
const PHOTO = join(USB, PHOTO_NAME);
const COPY = join(USB, 'copy-of-call.webm');
const LONG = join(USB, 'long-call.webm');
// The file names too: GTK would list chosen files in ~/.local/share/recently-used.xbel.
appendFileSync(join(ROOT, 'canaries.txt'), `${MARKER}\n${VIDEO_NAME}\n${PHOTO_NAME}\n`);

let b;
after(async () => b && stopApp(b));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A VP8 WebM (a bouncing ball) of `frames` frames at 30/s whose title carries the marker.
 *  `noise` makes it snow at 3 Mbit/s instead: a MiB holds under 3 s, like a real call. */
function makeVideo(path, frames = 150, noise = false) {
  execFileSync('gst-launch-1.0', [
    '-q', '-e', 'videotestsrc', `num-buffers=${frames}`, `pattern=${noise ? 'snow' : 'ball'}`, '!',
    'video/x-raw,width=320,height=240,framerate=30/1', '!', 'vp8enc', 'deadline=1',
    ...(noise ? ['target-bitrate=3000000'] : []), '!',
    'taginject', `tags=title=${MARKER}`, '!', 'webmmux', '!', 'filesink', `location=${path}`,
  ]);
}

function crc32(bytes) {
  let c = ~0;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A 96×64 RGB PNG (a gradient) with the marker in a text chunk. */
function makePhoto(path) {
  const [w, h] = [96, 64];
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) row.set([x * 2, y * 3, 128], 1 + x * 3);
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  writeFileSync(path, Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('tEXt', Buffer.from(`Comment\0${MARKER}`, 'latin1')),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]));
}

async function rows() {
  return b.$$('[data-testid="attachment-row"]');
}

/** The row of the attachment named `name`, and a button in it. */
async function rowButton(name, testid) {
  for (const r of await rows()) {
    if ((await r.getText()).includes(name)) return r.$(`[data-testid="${testid}"]`);
  }
  throw new Error(`no attachment row for ${name}`);
}

async function attachThroughDialog(path, expectedRows) {
  // WebKit's WebDriver answers the click only once the (modal) dialog is closed.
  await Promise.all([click(b, 'attach-add'), answerDialog('Choose files to attach', path)]);
  await b
    .waitUntil(async () => (await rows()).length === expectedRows, { timeout: 30000 })
    .catch(async () => {
      await b.saveScreenshot(join(process.env.E2E_SHOTS, 'FAILED-attach.png'));
      spawnSync('import', ['-window', 'root', join(process.env.E2E_SHOTS, 'FAILED-attach-screen.png')]);
      const err = await b.execute(() => document.querySelector('[data-testid="error"]')?.textContent);
      throw new Error(`${path} was not attached: ${err ?? 'no error shown'}`);
    });
}

const videoState = () =>
  b.execute(() => {
    const v = document.querySelector('[data-testid="attachment-video"]');
    const end = v && v.buffered.length ? v.buffered.end(v.buffered.length - 1) : 0;
    return v && { t: v.currentTime, d: v.duration, seeking: v.seeking, err: v.error?.code ?? null, ready: v.readyState, end };
  });

test('attach a video and a photo, see the photo, play and seek the video, save a copy, see damage reported', async () => {
  makeVideo(VIDEO);
  makePhoto(PHOTO);
  assert.ok(readFileSync(VIDEO).includes(MARKER) && readFileSync(PHOTO).includes(MARKER), 'the marker is in both files');

  b = await startApp();
  const visible = async (id) => (await byId(b, id)).isDisplayed();
  await b.waitUntil(async () => (await visible('first-run')) || (await visible('unlock-screen')), { timeout: 30000 });
  if (await visible('unlock-screen')) await click(b, 'choose-other');
  await shown(b, 'first-run');
  await choose(b, 'language', 'en');
  await (await byId(b, 'vault-dir')).setValue(VAULT);
  await type(b, 'device-name', 'Interviewer laptop');
  await type(b, 'passphrase', PASS);
  await type(b, 'passphrase-repeat', PASS);
  await click(b, 'create');
  await shown(b, 'recovery-key', 60000);
  await click(b, 'recovery-confirm');
  await click(b, 'recovery-done');
  await click(b, 'new-testimony');
  await type(b, 'field-code', 'ALA-FILES-1');
  await click(b, 'save');
  await shown(b, 'attach-empty');

  await attachThroughDialog(VIDEO, 1);
  await attachThroughDialog(PHOTO, 2);
  const listed = await (await byId(b, 'attachments')).getText();
  assert.ok(listed.includes(VIDEO_NAME));
  assert.match(listed, /Video/);
  assert.ok(listed.includes(PHOTO_NAME));
  assert.match(listed, /Photo/);
  await shot(b, 'files-list');

  // The photo, decrypted through media: and drawn.
  await (await rowButton(PHOTO_NAME, 'attachment-show')).click();
  const img = await shown(b, 'attachment-image');
  await b.waitUntil(async () => (await b.execute((el) => el.complete && el.naturalWidth, img)) === 96, {
    timeout: 15000,
    timeoutMsg: 'the photo was not drawn',
  });
  await img.scrollIntoView({ block: 'center' });
  await shot(b, 'files-photo');
  await (await rowButton(PHOTO_NAME, 'attachment-show')).click();

  // The video plays, and plays on from where it was sought to.
  await (await rowButton(VIDEO_NAME, 'attachment-show')).click();
  const video = await shown(b, 'attachment-video');
  await video.scrollIntoView({ block: 'center' });
  await b.execute((v) => {
    v.muted = true;
    void v.play();
  }, video);
  await b.waitUntil(async () => (await videoState())?.t > 0.5, {
    timeout: 30000,
    timeoutMsg: `the video did not play: ${JSON.stringify(await videoState())} ${JSON.stringify(await b.execute(async (v) => {
      const r = { canPlay: v.canPlayType('video/webm; codecs="vp8"'), mse: window.MediaSource ? MediaSource.isTypeSupported('video/webm; codecs="vp8"') : 'none' };
      try { const f = await fetch(v.src, { headers: { Range: 'bytes=0-99' } }); r.fetch = [f.status, (await f.arrayBuffer()).byteLength]; } catch (e) { r.fetch = String(e); }
      return r;
    }, video))}`,
  });
  const before = await videoState();
  assert.ok(Math.abs(before.d - 5) < 0.5, `the video is 5 s long: ${JSON.stringify(before)}`);
  await b.execute((v) => {
    v.currentTime = 3;
  }, video);
  await b.waitUntil(async () => {
    const s = await videoState();
    return !s.seeking && s.t >= 3;
  }, { timeout: 15000, timeoutMsg: `the seek did not land: ${JSON.stringify(await videoState())}` });
  const landed = (await videoState()).t;
  await b.waitUntil(async () => (await videoState()).t > landed + 0.3, {
    timeout: 15000,
    timeoutMsg: `the video did not play on after the seek: ${JSON.stringify(await videoState())}`,
  });
  await shot(b, 'files-video-playing');

  // An unencrypted copy, only where the user says, byte for byte the original.
  const extract = await rowButton(VIDEO_NAME, 'attachment-extract');
  await Promise.all([extract.click(), answerDialog('Save an unencrypted copy', COPY, { save: true })]);
  const notice = await shown(b, 'attach-notice', 30000);
  assert.match(await notice.getText(), /Saved an unencrypted copy/);
  assert.deepEqual(readFileSync(COPY), readFileSync(VIDEO), 'the copy is the original');
  await (await rowButton(VIDEO_NAME, 'attachment-show')).click();

  // One byte of the encrypted video changed on disk: no picture, a clear error.
  const blobs = join(VAULT, 'blobs');
  const biggest = readdirSync(blobs)
    .map((f) => join(blobs, f))
    .sort((x, y) => statSync(y).size - statSync(x).size)[0];
  const bytes = readFileSync(biggest);
  bytes[bytes.length - 5000] ^= 0x01;
  writeFileSync(biggest, bytes);
  await (await rowButton(VIDEO_NAME, 'attachment-show')).click();
  const problem = await shown(b, 'attachment-problem', 30000);
  await b.waitUntil(async () => /tamper|damaged|changed/i.test(await problem.getText()), {
    timeout: 30000,
    timeoutMsg: `no damage reported: ${await problem.getText()}`,
  });
  await problem.scrollIntoView({ block: 'center' });
  await shot(b, 'files-damaged');
});

test('a long recording is fed as it is watched: two minutes ahead, and a seek far ahead plays on', async () => {
  makeVideo(LONG, 30 * 180, true); // 3 minutes, about 66 MB
  await attachThroughDialog(LONG, 3);
  await (await rowButton('long-call.webm', 'attachment-show')).click();
  await shown(b, 'attachment-video');
  // Paused at the start: feeding stops once about two minutes are buffered.
  await b.waitUntil(async () => (await videoState())?.end > 100, {
    timeout: 30000,
    timeoutMsg: `the long video was not buffered: ${JSON.stringify(await videoState())}`,
  });
  await sleep(3000);
  const paused = await videoState();
  assert.ok(Math.abs(paused.d - 180) < 2, `3 minutes long: ${JSON.stringify(paused)}`);
  assert.ok(paused.end < 130, `feeding paused two minutes ahead: ${JSON.stringify(paused)}`);
  // A seek beyond what was fed: feeding goes on, and it plays from there.
  await b.execute(() => {
    const v = document.querySelector('[data-testid="attachment-video"]');
    v.muted = true;
    v.currentTime = 165;
    void v.play();
  });
  await b.waitUntil(async () => (await videoState()).t > 166, {
    timeout: 60000,
    timeoutMsg: `did not play on after a seek far ahead: ${JSON.stringify(await videoState())}`,
  });
});

test('a witness withdraws the photo: it is erased for good, the recordings stay', async () => {
  await (await rowButton(PHOTO_NAME, 'attachment-delete')).click();
  await type(b, 'attachment-delete-reason', 'The witness withdrew this photo.');
  await click(b, 'attachment-erase');
  const confirm = await byId(b, 'attachment-delete-confirm');
  assert.match(await confirm.getText(), /Erase the file for good/);
  await confirm.scrollIntoView({ block: 'center' });
  await shot(b, 'files-erase-confirm');
  await confirm.click();
  await b.waitUntil(
    async () => {
      for (const r of await rows()) if ((await r.getText()).includes(PHOTO_NAME)) return false;
      return true;
    },
    { timeout: 30000, timeoutMsg: 'the erased photo is still listed' },
  );
  assert.equal((await rows()).length, 2, 'the two recordings stay');
  await shot(b, 'files-erased');
  await click(b, 'lock');
  await shown(b, 'unlock-screen', 60000);
  // Every file of the vault decrypted with its key: the photo's name is in none of them.
  writeFileSync(join(ROOT, 'files-pass'), `${PASS}\n`);
  const scan = spawnSync(join(process.env.E2E_TOOLS ?? '', 'amanat'), ['--vault', VAULT, 'scan', PHOTO_NAME], {
    encoding: 'utf8',
    env: { ...process.env, AMANAT_PASSPHRASE_FILE: join(ROOT, 'files-pass') },
  });
  assert.equal(scan.status, 0, `${scan.stdout}${scan.stderr}`);
  const other = spawnSync(join(process.env.E2E_TOOLS ?? '', 'amanat'), ['--vault', VAULT, 'scan', VIDEO_NAME], {
    encoding: 'utf8',
    env: { ...process.env, AMANAT_PASSPHRASE_FILE: join(ROOT, 'files-pass') },
  });
  assert.notEqual(other.status, 0, 'the scan must find the recording that stays');
});
