import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The built UI is embedded in the app and served from tauri://localhost. There is no dev
// server in our workflow (the app never opens a socket), so no `server` options here.
export default defineConfig({
  plugins: [svelte()],
  base: './',
  build: {
    outDir: 'dist',
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
