// `make bench-app`: the real app (debug build, as the e2e tests drive it) on a vault of 10k
// testimonies: cold start to the unlock screen, unlock to the full list, and memory after.
// Cold start is measured from the process's start time in /proc to the moment the unlock
// screen is displayed, so WebDriver's own session setup is not counted.
import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, appPid, byId, click, shown, startApp, stopApp, type } from './driver.mjs';

const source = process.env.E2E_BENCH_VAULT;
const uptime = () => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
const ticks = 100; // USER_HZ on Linux
const startedAt = (pid) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[19]) / ticks;
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const children = (pid) =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ')[1] === String(pid);
      } catch {
        return false;
      }
    })
    .map(Number);

test('10k testimonies: cold start, unlock, memory', async () => {
  if (!source) throw new Error('E2E_BENCH_VAULT is not set (run `make bench-app`)');
  const vault = join(ROOT, 'vault');
  cpSync(source, vault, { recursive: true });
  const config = join(process.env.HOME, '.config', 'org.amanat.desktop');
  mkdirSync(config, { recursive: true });
  writeFileSync(join(config, 'settings.json'), JSON.stringify({ vault, idle_minutes: 5 }));

  const b = await startApp();
  const el = await byId(b, 'unlock-screen');
  await el.waitForDisplayed({ timeout: 30000, interval: 10 });
  const shownAt = uptime();
  const pid = appPid();
  const coldStart = shownAt - startedAt(pid);

  const t0 = Date.now();
  await type(b, 'passphrase', 'benchmark passphrase');
  await click(b, 'unlock');
  const counts = await shown(b, 'counts', 120000);
  await b.waitUntil(async () => /10000|10,000/.test(await counts.getText()), { timeout: 60000, interval: 20 });
  const unlock = (Date.now() - t0) / 1000;
  // Where the time goes: the list command alone, through the same IPC the page uses.
  const listMs = await b.executeAsync((done) => {
    const t = performance.now();
    window.__TAURI_INTERNALS__.invoke('list_testimonies').then(() => done(performance.now() - t));
  });
  await new Promise((r) => setTimeout(r, 2000));
  const appRss = rssMiB(pid);
  const webRss = children(pid).reduce((sum, c) => sum + rssMiB(c), 0);
  console.log(
    `| testimonies | cold start to unlock screen (s) | unlock to list shown, incl. KDF (s) | list command (ms) | RSS app (MiB) | RSS WebKit processes (MiB) |\n` +
      `|---|---|---|---|---|---|\n| 10,000 | ${coldStart.toFixed(2)} | ${unlock.toFixed(2)} | ${listMs.toFixed(0)} | ${appRss.toFixed(0)} | ${webRss.toFixed(0)} |`,
  );
  await stopApp(b);
});
