// The catalogs are complete: every key the UI uses exists in English, every other language has
// exactly English's keys with the same arguments, every message parses, every vocabulary value
// and error code of the core has a message, and no component shows a hard-coded string.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IntlMessageFormat } from 'intl-messageformat';
import { TYPE, parse, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { parse as parseSvelte } from 'svelte/compiler';
import { describe, expect, it } from 'vitest';
import en from '../locales/en.json';
import { LANGUAGES, catalogs } from './i18n.svelte';

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

/** The argument names a message uses, nested ones (inside plural/select branches) included. */
function argumentsOf(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const el of elements) {
    if (el.type === TYPE.pound || el.type === TYPE.literal) continue;
    if (el.type === TYPE.tag) {
      argumentsOf(el.children, into);
      continue;
    }
    into.add(el.value);
    if (el.type === TYPE.plural || el.type === TYPE.select) {
      for (const option of Object.values(el.options)) argumentsOf(option.value, into);
    }
  }
  return into;
}

describe('every language catalog', () => {
  for (const lang of LANGUAGES.filter((l) => l !== 'en')) {
    const cat = catalogs[lang];
    it(`${lang} has exactly the English keys, each a well-formed message with the same arguments`, () => {
      const enKeys = Object.keys(catalog).sort();
      expect(Object.keys(cat).filter((k) => !(k in catalog)), 'extra keys').toEqual([]);
      expect(enKeys.filter((k) => !(k in cat)), 'missing keys').toEqual([]);
      for (const [key, text] of Object.entries(cat)) {
        expect(text.trim(), `${lang} ${key} is empty`).not.toBe('');
        let ast: MessageFormatElement[] = [];
        expect(() => (ast = parse(text, { requiresOtherClause: true })), `${lang} ${key}`).not.toThrow();
        expect(() => new IntlMessageFormat(text, lang), `${lang} ${key}`).not.toThrow();
        const want = [...argumentsOf(parse(catalog[key]))].sort();
        expect([...argumentsOf(ast)].sort(), `${lang} ${key} arguments`).toEqual(want);
      }
    });
  }

  it('a catalog test catches a missing argument (the check above can fail)', () => {
    const broken = argumentsOf(parse('{count, plural, other {# files}}'));
    expect([...broken]).toEqual(['count']);
    expect([...argumentsOf(parse('Saved {time}'))]).not.toEqual([...argumentsOf(parse('Saved'))]);
  });
});

// Attributes a user reads or hears (screen readers): they must come from the catalogs too.
const VISIBLE_ATTRIBUTES = new Set(['placeholder', 'title', 'aria-label', 'alt', 'label', 'aria-description']);

type MarkupNode = Record<string, unknown> & { type?: string; name?: unknown };

/** Visits every node of a component's markup (not its script); `visit` returning false skips
 *  the node's children. */
function walkMarkup(source: string, visit: (n: MarkupNode) => boolean | void): void {
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as MarkupNode;
    if (visit(n) === false) return;
    for (const [k, v] of Object.entries(n)) if (k !== 'expression' && k !== 'metadata') walk(v);
  };
  walk(parseSvelte(source, { modern: true }).fragment);
}

/** Hard-coded user-visible text in a component's markup: text nodes and visible attributes. */
function hardCoded(source: string): string[] {
  const found: string[] = [];
  const letters = /\p{L}/u;
  walkMarkup(source, (n) => {
    if (n.type === 'Text' && typeof n.data === 'string' && letters.test(n.data)) found.push(n.data.trim());
    if (n.type !== 'Attribute') return;
    if (VISIBLE_ATTRIBUTES.has(String(n.name)) && Array.isArray(n.value)) {
      for (const part of n.value as { type: string; data?: string }[])
        if (part.type === 'Text' && part.data && letters.test(part.data)) found.push(`${String(n.name)}="${part.data}"`);
    }
    return false;
  });
  return found;
}

/** How many native <select> elements a component's markup has. */
function nativeSelects(source: string): number {
  let count = 0;
  walkMarkup(source, (n) => {
    if (n.type === 'RegularElement' && n.name === 'select') count += 1;
  });
  return count;
}

describe('the components', () => {
  it('contain no hard-coded user-visible string', () => {
    const offenders: string[] = [];
    for (const f of files(root).filter((p) => p.endsWith('.svelte'))) {
      for (const text of hardCoded(readFileSync(f, 'utf8'))) offenders.push(`${f}: ${text}`);
    }
    expect(offenders).toEqual([]);
  });

  it('draw their drop-downs themselves: a native <select> list is drawn by GTK with system fonts', () => {
    const natives = files(root)
      .filter((p) => p.endsWith('.svelte'))
      .filter((f) => nativeSelects(readFileSync(f, 'utf8')) > 0);
    expect(natives).toEqual([]);
    expect(nativeSelects('<label>x<select><option>a</option></select></label>')).toBe(1);
  });

  it('the check sees text, a placeholder and an aria-label, and lets data-testid and class pass', () => {
    const src = '<p class="muted" data-testid="x">{t(\'a\')}</p><h1>Save now</h1><input placeholder="Name" /><button aria-label="Close">{t(\'b\')}</button>';
    expect(hardCoded(src)).toEqual(['Save now', 'placeholder="Name"', 'aria-label="Close"']);
  });
});
