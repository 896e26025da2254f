// Reads `strace -f -e trace=process,connect` output of an e2e session and fails if the app,
// or any process it started (WebKit's web and network processes), connected to an inet
// socket. tauri-driver and WebKitWebDriver talk over loopback to drive it; they are not the
// app and are reported, not judged.
import { readFileSync } from 'node:fs';

const [log, appPath] = process.argv.slice(2);
const lines = readFileSync(log, 'utf8').split('\n');
const exe = new Map(); // pid -> program it runs
const parent = new Map(); // pid -> pid that created it
const fromApp = (pid) => {
  for (let p = pid; p !== undefined; p = parent.get(p)) if (exe.get(p) === appPath) return true;
  return false;
};

const inet = [];
for (const line of lines) {
  const m = line.match(/^(?:\[pid\s+)?(\d+)\]?\s+(.*)$/);
  if (!m) continue;
  const pid = Number(m[1]);
  const call = m[2];
  let x;
  if ((x = call.match(/^execve\("([^"]+)".*= 0$/))) exe.set(pid, x[1]);
  else if ((x = call.match(/^(?:clone3?|vfork|fork)\(.*\)\s*=\s*(\d+)/))) {
    const child = Number(x[1]);
    parent.set(child, pid);
    if (exe.has(pid) && !exe.has(child)) exe.set(child, exe.get(pid));
  } else if ((x = call.match(/^<\.\.\. (?:clone3?|vfork) resumed>.*=\s*(\d+)/))) {
    const child = Number(x[1]);
    parent.set(child, pid);
    if (exe.has(pid) && !exe.has(child)) exe.set(child, exe.get(pid));
  } else if (/^connect\(.*sa_family=AF_INET6?\b/.test(call) || /^<\.\.\. connect resumed>/.test(call)) {
    if (/AF_INET/.test(call)) inet.push({ pid, call });
  }
}

const byApp = inet.filter((c) => fromApp(c.pid));
const others = inet.filter((c) => !fromApp(c.pid));
const appPids = [...exe.keys()].filter(fromApp);
console.log(`connect audit: ${appPids.length} app processes traced; inet connects by the app: ${byApp.length}; by the WebDriver tools: ${others.length}`);
for (const c of others.slice(0, 3)) console.log(`  driver: ${exe.get(c.pid) ?? '?'} ${c.call.slice(0, 120)}`);
if (appPids.length === 0) {
  console.error('connect audit: the app never started under the trace');
  process.exit(1);
}
if (byApp.length > 0) {
  for (const c of byApp) console.error(`  APP ${exe.get(c.pid)}: ${c.call}`);
  process.exit(1);
}
