// WebDriver helpers for the real app: tauri-driver (127.0.0.1:4444) starts the binary in
// WebKitGTK; we find elements by data-testid and save a screenshot of every screen.
import { execFileSync, spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Key, remote } from 'webdriverio';
export { Key };

export const APP = process.env.E2E_APP;
export const ROOT = process.env.E2E_ROOT;
export const SHOTS = process.env.E2E_SHOTS;
if (!APP || !ROOT || !SHOTS) throw new Error('run through scripts/e2e.sh (E2E_APP, E2E_ROOT, E2E_SHOTS)');
mkdirSync(SHOTS, { recursive: true });

export async function startApp() {
  return remote({
    hostname: '127.0.0.1',
    port: 4444,
    logLevel: 'error',
    capabilities: { 'tauri:options': { application: APP } },
    connectionRetryCount: 0,
  });
}

export async function stopApp(b) {
  await b.deleteSession().catch(() => {});
}

export const byId = (b, id) => b.$(`[data-testid="${id}"]`);

export async function shown(b, id, timeout = 15000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      const el = await byId(b, id);
      await el.waitForDisplayed({ timeout: Math.max(1, deadline - Date.now()) });
      return el;
    } catch (e) {
      // Locking reloads the page: a query WebKit gets while the old page unloads fails at
      // once ("Callback was not called before the unload event") instead of waiting for the
      // new page. Ask again until the timeout.
      if (/unload|no such frame/i.test(`${e?.message} ${e?.name}`) && Date.now() < deadline) {
        await b.pause(100);
        continue;
      }
      // What the user saw when the expected element never came.
      await b.saveScreenshot(join(SHOTS, `FAILED-waiting-for-${id}.png`)).catch(() => {});
      throw e;
    }
  }
}

export async function click(b, id) {
  const el = await shown(b, id);
  await el.waitForEnabled({ timeout: 15000 });
  // In the middle of the view: at its edge the sticky editor toolbar would take the click.
  await el.scrollIntoView({ block: 'center' });
  await el.click();
}

export async function type(b, id, text) {
  const el = await shown(b, id);
  await el.setValue(text);
}

let n = 0;
export async function shot(b, name) {
  n += 1;
  const file = join(SHOTS, `${String(n).padStart(2, '0')}-${name}.png`);
  // Let WebKit paint what the DOM already holds.
  await b.pause(200);
  await b.saveScreenshot(file);
  return file;
}

/** The pid of the running app binary (for kill -9). */
export function appPid() {
  const out = execFileSync('pgrep', ['-n', '-f', APP], { encoding: 'utf8' }).trim();
  return Number(out.split('\n').pop());
}

/** The focused element's data-testid and the centre of its box, or null on the page itself. */
export async function focused(b) {
  return b.execute(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const r = el.getBoundingClientRect();
    return { id: el.getAttribute('data-testid'), x: r.left + r.width / 2, y: r.top + r.height / 2 };
  });
}

/** Presses Tab (or Shift+Tab) until `id` has the focus; the stops on the way, in order. */
export async function tabTo(b, id, { back = false, max = 80 } = {}) {
  const path = [];
  for (let i = 0; i < max; i++) {
    await b.keys(back ? [Key.Shift, Key.Tab] : [Key.Tab]);
    const f = await focused(b);
    path.push(f);
    if (f?.id === id) return path;
  }
  await b.saveScreenshot(join(SHOTS, `FAILED-tabbing-to-${id}.png`)).catch(() => {});
  throw new Error(`${id} not reached with ${back ? 'Shift+' : ''}Tab: ${path.map((p) => p?.id).join(' → ')}`);
}

/** Picks `value` in one of our drop-downs (Select.svelte) with the mouse. */
export async function choose(b, id, value) {
  await click(b, id);
  await click(b, `${id}-option-${value}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const xdotool = (...args) => spawnSync('xdotool', args, { encoding: 'utf8' });

/** Answers the system's file dialog titled `title` with `path`, by keyboard. There is no
 *  window manager under Xvfb, so the dialog gets the input focus explicitly. */
export async function answerDialog(title, path, { save = false } = {}) {
  let win = '';
  for (let i = 0; i < 100 && !win; i++) {
    win = xdotool('search', '--onlyvisible', '--name', `^${title}$`).stdout.trim().split('\n').pop() ?? '';
    if (!win) await sleep(200);
  }
  if (!win) {
    spawnSync('import', ['-window', 'root', join(process.env.E2E_SHOTS, 'FAILED-dialog-screen.png')]);
    const names = xdotool('search', '--name', '.').stdout.trim().split('\n')
      .map((w) => `${w}: ${xdotool('getwindowname', w).stdout.trim()}`);
    assert.fail(`the dialog "${title}" did not open; windows: ${names.join(' | ')}; ${xdotool('version').stdout}`);
  }
  await sleep(800);
  xdotool('windowfocus', '--sync', win);
  if (save) {
    // The name field has the focus: replace the suggested name with a full path.
    xdotool('key', '--clearmodifiers', 'ctrl+a');
  } else {
    xdotool('key', '--clearmodifiers', 'ctrl+l');
  }
  await sleep(300);
  xdotool('type', '--delay', '30', path);
  await sleep(500);
  // The dialog is GTK's, outside the page: WebDriver cannot see it, the X screen can.
  spawnSync('import', ['-window', 'root', join(process.env.E2E_SHOTS, `dialog-${save ? 'save' : 'open'}.png`)]);
  xdotool('key', 'Return');
}

