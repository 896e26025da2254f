// The catalog is complete: every key the UI uses exists, every message parses, every
// vocabulary value and every error code of the core has a message.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IntlMessageFormat } from 'intl-messageformat';
import { describe, expect, it } from 'vitest';
import en from '../locales/en.json';

const catalog = en as Record<string, string>;
const root = fileURLToPath(new URL('..', import.meta.url));
const repo = join(root, '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f: string) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(svelte|ts)$/.test(f) && !f.endsWith('.test.ts') ? [p] : [];
  });
}

describe('the English catalog', () => {
  it('has every key the components use', () => {
    const missing: string[] = [];
    for (const f of files(root)) {
      const src = readFileSync(f, 'utf8');
      for (const m of src.matchAll(/\bt\('([a-zA-Z_.0-9]+)'/g)) if (!(m[1] in catalog)) missing.push(`${f}: ${m[1]}`);
    }
    expect(missing).toEqual([]);
  });

  it('parses every message as ICU', () => {
    for (const [key, text] of Object.entries(catalog)) {
      expect(() => new IntlMessageFormat(text, 'en'), key).not.toThrow();
    }
  });

  it('names every vocabulary value and every error code of the core', () => {
    const vocab = readFileSync(join(repo, 'src/model/vocab.rs'), 'utf8');
    const names = [...vocab.matchAll(/vocabulary!\(\s*(?:\/\/\/[^\n]*\n\s*)*(\w+)\s*\{([^}]*)\}/g)];
    expect(names.length).toBeGreaterThan(10);
    for (const [, name, body] of names) {
      const snake = name.replace(/(?<!^)([A-Z])/g, '_$1').toLowerCase();
      for (const [, value] of body.matchAll(/=>\s*"([^"]+)"/g)) expect(catalog, `${snake}.${value}`).toHaveProperty([`vocab.${snake}.${value}`]);
    }
    const errors = readFileSync(join(repo, 'src/error.rs'), 'utf8');
    const codes = [...errors.matchAll(/=>\s*"([a-z_]+)",?\s*$/gm)].map((m) => m[1]);
    expect(codes.length).toBeGreaterThan(15);
    for (const code of codes) expect(catalog, code).toHaveProperty([`error.${code}`]);
  });
});
