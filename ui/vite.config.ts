import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

const STAGE = 'build-stage';
const DIST = 'dist';

function files(root: string, dir = ''): string[] {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(root, join(dir, e.name)) : [join(dir, e.name)],
  );
}

// The app embeds ui/dist, and cargo rebuilds the app whenever a file there is newer than its
// last build. Vite rewrites every file on every build, so a `make test` with nothing changed
// relinked the release app (a minute) for identical bytes. The build goes to build-stage and
// only files whose bytes changed are copied into dist (files no longer built are removed).
function syncDist(): Plugin {
  return {
    name: 'amanat-sync-dist',
    apply: 'build',
    closeBundle() {
      const built = new Set(files(STAGE));
      for (const f of files(DIST)) if (!built.has(f)) rmSync(join(DIST, f));
      for (const f of built) {
        const to = join(DIST, f);
        const bytes = readFileSync(join(STAGE, f));
        if (existsSync(to) && readFileSync(to).equals(bytes)) continue;
        mkdirSync(dirname(to), { recursive: true });
        cpSync(join(STAGE, f), to);
      }
    },
  };
}

// The built UI is embedded in the app and served from tauri://localhost. There is no dev
// server in our workflow (the app never opens a socket), so no `server` options here.
export default defineConfig({
  plugins: [svelte(), syncDist()],
  base: './',
  build: {
    outDir: STAGE,
    emptyOutDir: true,
    target: 'safari16',
    // No inline data: URLs for assets; everything is a file under 'self'.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  test: {
    include: ['src/**/*.test.ts', 'e2e/**/*.test.mjs'],
  },
});
