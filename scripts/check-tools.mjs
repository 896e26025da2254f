// Every program that `make run` and `make test` call must be there on a fresh Debian/Ubuntu
// machine once scripts/setup.sh has run. This reads the programs the scripts, the Makefile,
// the Rust tests and benchmarks and the end-to-end tests start, and fails, naming each one and
// where it is called, unless it is
//   - a shell builtin or keyword, or a function of the script itself;
//   - one of the prerequisites the README names (Rust's cargo/rustc, Node's node/npm, git);
//   - installed by `cargo install` into target/tools by our own scripts (tauri-driver, rage…);
//   - from a Debian package that every system has (Essential, or Priority: required), or from
//     a package scripts/setup.sh installs, or one those depend on.
// A program found only outside Debian's packages (say in /usr/local/bin, put there by hand)
// does not count: a newcomer's machine would not have it. Run with `node scripts/check-tools.mjs`.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, realpathSync, statSync, existsSync } from 'node:fs';
import { join, relative, delimiter } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const read = (p) => readFileSync(join(root, p), 'utf8');

function files(dir, test) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(join(root, d), { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (test(p)) out.push(p);
    }
  };
  if (existsSync(join(root, dir))) walk(dir);
  return out;
}

// --- what the sources call --------------------------------------------------------------

/** Map of program → [places it is called]. */
const calls = new Map();
const note = (name, where) => {
  if (!calls.has(name)) calls.set(name, []);
  calls.get(name).push(where);
};

const NAME = /^[A-Za-z_][A-Za-z0-9_.+-]*$/;
// Words after which the next word is a command again, or which run the command they are given.
const WRAPPERS = new Set(['env', 'sudo', 'exec', 'command', 'nice', 'setsid', 'xargs', 'time', 'nohup', 'then', 'do', 'else', 'elif', 'if', 'while', 'until', '!', '{', '}']);
// Wrappers with options, and how many values follow those options before the command.
const TAKES_VALUE = { timeout: 1, strace: 0, unshare: 0, chroot: 1 };
// Words that start something other than a command.
const NOT_COMMANDS = new Set(['for', 'case', 'select', 'function', 'in', 'esac', 'fi', 'done', '[[', '((']);

// Splits one line of shell into its simple commands: quotes and arithmetic are opaque, and
// the inside of every $(…) and `…` is a command line of its own.
const OPAQUE = '\u00a7';
function simpleCommands(line, data = false) {
  const out = [];
  let cur = '';
  let i = 0;
  const closing = (from, open, close) => {
    let depth = 0;
    for (let j = from; j < line.length; j++) {
      if (line[j] === "'" ) { const e = line.indexOf("'", j + 1); if (e < 0) return line.length; j = e; continue; }
      if (line.startsWith(open, j)) depth++;
      else if (line[j] === close && --depth === 0) return j;
    }
    return line.length;
  };
  while (i < line.length) {
    const c = line[i];
    if (line.startsWith('$((', i)) {
      const e = closing(i + 1, '(', ')');
      cur += OPAQUE;
      i = e + 1;
    } else if (line.startsWith('${', i)) {
      const e = line.indexOf('}', i);
      cur += OPAQUE;
      i = (e < 0 ? line.length : e) + 1;
    } else if (/^[A-Za-z_][A-Za-z0-9_]*\+?=\($/.test(cur.trim().split(/\s+/).pop() + c)) {
      // An array assignment: its words are data, but what $(…) inside them runs is not.
      const e = closing(i, '(', ')');
      out.push(...simpleCommands(line.slice(i + 1, e), true));
      cur += OPAQUE;
      i = e + 1;
    } else if (line.startsWith('$(', i)) {
      const e = closing(i + 1, '(', ')');
      out.push(...simpleCommands(line.slice(i + 2, e)));
      cur += OPAQUE;
      i = e + 1;
    } else if (c === '`') {
      const e = line.indexOf('`', i + 1);
      const end = e < 0 ? line.length : e;
      out.push(...simpleCommands(line.slice(i + 1, end)));
      cur += OPAQUE;
      i = end + 1;
    } else if (c === "'") {
      const e = line.indexOf("'", i + 1);
      cur += OPAQUE;
      i = (e < 0 ? line.length : e) + 1;
    } else if (c === '"') {
      // Inside double quotes only $(…) and `…` run something.
      let j = i + 1;
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\') j += 2;
        else if (line.startsWith('$((', j)) j = closing(j + 1, '(', ')') + 1;
        else if (line.startsWith('$(', j)) {
          const e = closing(j + 1, '(', ')');
          out.push(...simpleCommands(line.slice(j + 2, e)));
          j = e + 1;
        } else if (line[j] === '`') {
          const e = line.indexOf('`', j + 1);
          const end = e < 0 ? line.length : e;
          out.push(...simpleCommands(line.slice(j + 1, end)));
          j = end + 1;
        } else j++;
      }
      cur += OPAQUE;
      i = j + 1;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) {
      break;
    } else if (/[;|()]/.test(c) || (c === '&' && line[i - 1] !== '>' && line[i + 1] !== '>')) {
      if (!data) out.push(cur);
      cur = '';
      i++;
    } else {
      cur += c;
      i++;
    }
  }
  if (!data) out.push(cur);
  return out;
}

function commandOf(segment) {
  const words = segment.trim().split(/\s+/).filter(Boolean);
  let k = 0;
  while (k < words.length) {
    const w = words[k];
    if (/^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/.test(w)) k++; // an assignment
    else if (/^[0-9]*(<<<|<<-?|[<>]+&?)$/.test(w)) k += 2; // a redirection and its target
    else if (/^[0-9]*[<>&]/.test(w)) k++; // a redirection written as one word
    else if (WRAPPERS.has(w)) k++;
    else if (w in TAKES_VALUE) {
      const wrapper = w;
      k++;
      while (k < words.length && words[k].startsWith('-')) k++;
      k += TAKES_VALUE[wrapper];
      return { wrapper, cmd: words[k] };
    } else if (w.startsWith('-') && k > 0) k++; // an option of a wrapper
    else break;
  }
  return { cmd: words[k] };
}

// Functions defined in any of our scripts (a script may source another's).
const functions = new Set();
function shellCommands(text, file, lineBase = 0) {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  let heredoc = null;
  let array = false;
  let inCase = false;
  lines.forEach((line, i) => {
    // In a case block, a line's leading pattern ("build)", "*)") is not a command.
    if (/\bcase\b.*\bin\s*$/.test(line)) inCase = true;
    if (/^\s*esac\b/.test(line)) inCase = false;
    if (inCase) line = line.replace(/^\s*[^()\s][^()]*\)\s/, ' ');
    const where = `${file}:${lineBase + i + 1}`;
    // The lines of an array written over several lines are data.
    if (array) {
      if (/\)\s*$/.test(line)) array = false;
      return;
    }
    if (/^\s*[A-Za-z_][A-Za-z0-9_]*\+?=\([^)]*$/.test(line)) {
      array = true;
      return;
    }
    if (heredoc) {
      if (line.trim() === heredoc.end) heredoc = null;
      // A heredoc is data, except one captured as a script to run ("x=$(cat <<'END'").
      if (!heredoc || !heredoc.code) return;
    }
    const h = line.match(/<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/);
    if (h && !line.includes('<<<')) heredoc = { end: h[2], code: /=\$\(cat <</.test(line) };
    for (const seg of simpleCommands(line)) {
      const { wrapper, cmd } = commandOf(seg);
      if (wrapper) note(wrapper, where);
      if (!cmd || NOT_COMMANDS.has(cmd) || functions.has(cmd) || !NAME.test(cmd)) continue;
      note(cmd, where);
    }
  });
}

// Shell scripts, CI, and the Makefile's recipes.
const scripts = [...files('scripts', (p) => p.endsWith('.sh')), '.ci/run'];
for (const f of scripts) for (const m of read(f).matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(\)\s*\{/gm)) functions.add(m[1]);
for (const f of scripts) shellCommands(read(f), f);
{
  const make = read('Makefile').split('\n');
  make.forEach((l, i) => {
    if (l.startsWith('\t')) shellCommands(l.slice(1).replace(/^[@-]+/, '').replace(/\$\([A-Z_]+\)/g, '$X'), 'Makefile', i);
  });
}
// Rust tests, benchmarks and examples: Command::new("program").
for (const f of [...files('tests', (p) => p.endsWith('.rs')), ...files('benches', (p) => p.endsWith('.rs')), ...files('examples', (p) => p.endsWith('.rs'))]) {
  read(f).split('\n').forEach((l, i) => {
    for (const m of l.matchAll(/Command::new\("([^"]+)"\)/g)) if (NAME.test(m[1])) note(m[1], `${f}:${i + 1}`);
  });
}
// End-to-end tests: child_process calls with a literal program.
for (const f of files('ui/e2e', (p) => p.endsWith('.mjs'))) {
  read(f).split('\n').forEach((l, i) => {
    for (const m of l.matchAll(/(?:execFileSync|spawnSync|spawn|execFile)\(\s*['"]([^'"]+)['"]/g)) if (NAME.test(m[1])) note(m[1], `${f}:${i + 1}`);
    for (const m of l.matchAll(/execSync\(\s*['"`]([A-Za-z_][A-Za-z0-9_.+-]*)/g)) note(m[1], `${f}:${i + 1}`);
  });
}

// --- what provides them ------------------------------------------------------------------

// Rust (with its clippy and rustfmt components), Node.js and git: what the README asks for.
const PREREQUISITES = new Set(['cargo', 'rustc', 'rustup', 'clippy-driver', 'cargo-clippy', 'rustfmt', 'cargo-fmt', 'node', 'npm', 'npx', 'git']);

// Programs our scripts install with `cargo install … NAME` (into target/tools/bin).
const cargoInstalled = new Set();
for (const f of [...files('scripts', (p) => p.endsWith('.sh')), 'Makefile']) {
  for (const m of read(f).matchAll(/cargo install\b([^\n;&|]*)/g)) {
    const words = m[1].trim().split(/\s+/);
    for (let k = 0; k < words.length; k++) {
      if (words[k].startsWith('--')) {
        if (['--version', '--root', '--git', '--path', '--features'].includes(words[k])) k++;
        continue;
      }
      if (NAME.test(words[k])) cargoInstalled.add(words[k]);
    }
  }
}
if (cargoInstalled.has('rage')) ['rage-keygen', 'rage-mount'].forEach((b) => cargoInstalled.add(b));

const setupText = read('scripts/setup.sh');
const setupPackages = (setupText.match(/packages=\(([^)]*)\)/s)?.[1] || '').split(/\s+/).filter((p) => /^[a-z0-9][a-z0-9.+-]+$/.test(p));
if (setupPackages.length === 0) {
  console.error('check-tools: found no packages=(…) list in scripts/setup.sh');
  process.exit(1);
}

const sh = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8' });
// Everything setup's packages pull in (their dependencies, recursively).
const provided = new Set(setupPackages);
{
  const out = sh('apt-cache', ['depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', '--no-pre-depends', ...setupPackages]).stdout || '';
  for (const l of out.split('\n')) {
    const m = l.match(/^\s*(?:\|?Depends|PreDepends): <?([a-z0-9][a-z0-9.+-]+)(?::[a-z0-9]+)?>?/) || l.match(/^([a-z0-9][a-z0-9.+-]+)$/);
    if (m) provided.add(m[1]);
  }
}

const packageInfo = new Map();
function systemWide(pkg) {
  if (!packageInfo.has(pkg)) {
    const r = sh('dpkg-query', ['-W', '-f=${Essential} ${Priority}', pkg]).stdout || '';
    packageInfo.set(pkg, /^yes /.test(r) || / required$/.test(r));
  }
  return packageInfo.get(pkg);
}

function candidates(name) {
  const out = [];
  for (const d of (process.env.PATH || '').split(delimiter)) {
    const p = join(d, name);
    try {
      if (statSync(p).isFile()) out.push(p);
    } catch {}
  }
  return out;
}

// Which package owns each path (one dpkg-query for all of them).
const owners = new Map();
function lookUpOwners(paths) {
  const all = [...new Set(paths.flatMap((p) => [p, realpathSync(p)]))];
  if (all.length === 0) return;
  for (const l of (sh('dpkg-query', ['-S', ...all]).stdout || '').split('\n')) {
    const m = l.match(/^([^:]+): (.+)$/);
    if (m) owners.set(m[2], m[1].split(',')[0].trim());
  }
}
const owner = (path) => owners.get(path) || owners.get(realpathSync(path)) || null;

// Shell builtins and keywords, asked of bash once.
const names = [...calls.keys()].sort();
const types = sh('bash', ['-c', 'for n in "$@"; do printf "%s\\n" "$(type -t -- "$n")"; done', 'x', ...names]).stdout.split('\n');
const external = names.filter((n, i) => !['builtin', 'keyword'].includes(types[i]) && !PREREQUISITES.has(n) && !cargoInstalled.has(n));
lookUpOwners(external.flatMap(candidates));

const problems = [];
let checked = 0;
for (const name of external) {
  const where = calls.get(name);
  checked++;
  const found = candidates(name);
  const owners = found.map((p) => [p, owner(p)]);
  const ok = owners.some(([, pkg]) => pkg && (systemWide(pkg) || provided.has(pkg)));
  if (ok) continue;
  const places = [...new Set(where)].slice(0, 3).join(', ') + (where.length > 3 ? ', …' : '');
  if (found.length === 0) problems.push(`${name}: not on this machine after scripts/setup.sh (called at ${places})`);
  else
    problems.push(
      `${name}: ${owners.map(([p, pkg]) => (pkg ? `${p} comes from ${pkg}` : `${p} is from no Debian package`)).join('; ')}; no package scripts/setup.sh installs provides it (called at ${places})`,
    );
}

if (process.argv.includes('--list')) {
  for (const [name, where] of [...calls].sort()) console.log(`${name}\t${[...new Set(where)].slice(0, 2).join(', ')}`);
}
if (problems.length) {
  console.error('check-tools: programs the scripts and tests call that a fresh machine would not have after scripts/setup.sh:');
  for (const p of problems) console.error(`  ${p}`);
  console.error('Add the package that provides each to the packages list in scripts/setup.sh.');
  process.exit(1);
}
console.log(`check-tools: ${calls.size} programs called by scripts and tests; ${checked} outside the shell and the prerequisites, each from a package setup installs or every system has`);
