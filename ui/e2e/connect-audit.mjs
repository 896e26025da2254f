// Reads `strace -f -v -e trace=process,connect` output of an e2e session and fails if the
// app, or any process it started (WebKit's web and network processes), connected to an inet
// socket. The one exception is WebDriver's own channel: WebKitWebDriver starts the app with
// WEBKIT_INSPECTOR_SERVER=127.0.0.1:PORT and the app's automation session connects back
// there. tauri-driver and WebKitWebDriver are not the app; they are reported, not judged.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Sorts the inet connects of a trace into the app's, its WebDriver channel's and the tools'. */
export function audit(text, appPath) {
const lines = text.split('\n');
const exe = new Map(); // pid -> program it runs
const parent = new Map(); // pid -> pid that created it
const fromApp = (pid) => {
  for (let p = pid; p !== undefined; p = parent.get(p)) if (exe.get(p) === appPath) return true;
  return false;
};

const inspector = new Map(); // pid -> the loopback endpoint WebDriver gave it
const inherit = (child, pid) => {
  parent.set(child, pid);
  if (exe.has(pid) && !exe.has(child)) exe.set(child, exe.get(pid));
  if (inspector.has(pid) && !inspector.has(child)) inspector.set(child, inspector.get(pid));
};
const inet = [];
for (const line of lines) {
  const m = line.match(/^(?:\[pid\s+)?(\d+)\]?\s+(.*)$/);
  if (!m) continue;
  const pid = Number(m[1]);
  const call = m[2];
  let x;
  if ((x = call.match(/^execve\("([^"]+)"/))) {
    exe.set(pid, x[1]);
    const server = call.match(/"WEBKIT_INSPECTOR_SERVER=([0-9.]+):(\d+)"/);
    if (server) inspector.set(pid, `${server[1]}:${server[2]}`);
  } else if ((x = call.match(/^(?:clone3?|vfork|fork)\(.*\)\s*=\s*(\d+)/))) {
    inherit(Number(x[1]), pid);
  } else if ((x = call.match(/^<\.\.\. (?:clone3?|vfork) resumed>.*=\s*(\d+)/))) {
    inherit(Number(x[1]), pid);
  } else if (/^connect\(.*sa_family=AF_INET6?\b/.test(call) || /^<\.\.\. connect resumed>/.test(call)) {
    if (/AF_INET/.test(call)) inet.push({ pid, call });
  }
}

const endpoint = (call) => {
  const m = call.match(/sin_port=htons\((\d+)\), sin_addr=inet_addr\("([0-9.]+)"\)/);
  return m ? `${m[2]}:${m[1]}` : null;
};
const isWebDriverChannel = (c) => inspector.has(c.pid) && endpoint(c.call) === inspector.get(c.pid);
const channel = inet.filter((c) => fromApp(c.pid) && isWebDriverChannel(c));
const byApp = inet.filter((c) => fromApp(c.pid) && !isWebDriverChannel(c));
const others = inet.filter((c) => !fromApp(c.pid));
const appPids = [...exe.keys()].filter(fromApp);
return { exe, appPids, byApp, channel, others };
}

function main() {
const [log, appPath] = process.argv.slice(2);
const { exe, appPids, byApp, channel, others } = audit(readFileSync(log, 'utf8'), appPath);
console.log(
  `connect audit: ${appPids.length} app processes and threads traced; inet connects by the app: ${byApp.length} ` +
    `(besides ${channel.length} to the WebDriver inspector endpoint it was started with); by the WebDriver tools: ${others.length}`,
);
for (const c of others.slice(0, 3)) console.log(`  driver: ${exe.get(c.pid) ?? '?'} ${c.call.slice(0, 120)}`);
if (appPids.length === 0) {
  console.error('connect audit: the app never started under the trace');
  process.exit(1);
}
if (byApp.length > 0) {
  for (const c of byApp) console.error(`  APP ${exe.get(c.pid)}: ${c.call}`);
  process.exit(1);
}
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
