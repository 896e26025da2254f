// The editor's working copy and how it becomes the JSON the core validates. The working copy
// has every list present and empty strings for blank fields, which suits form bindings; what
// is saved has neither (the core refuses unknown fields and validates the rest).
import type { Person, Testimony, TestimonySummary } from './bindings';

/** A working copy: the testimony's shape with plain objects, freely edited by the forms. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Working = Record<string, any>;

/** A deep copy of plain data. Unlike structuredClone it also copies Svelte state proxies. */
function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export function newId(): string {
  return crypto.randomUUID();
}

export function blankPerson(): Working {
  return { id: newId(), names: [{ name: '' }], roles: [] };
}

export function blankTestimony(): Working {
  return {
    code: '',
    status: 'draft',
    summary: '',
    narrative: '',
    tags: [],
    languages: [],
    testifier: { ...blankPerson(), roles: ['testifier'] },
    persons: [],
    events: [],
    places: [],
    consents: [],
  };
}

/** A stored testimony as a working copy: every list present, so forms can bind to it. */
export function toWorking(t: Testimony | Working): Working {
  const w: Working = clone(t);
  for (const k of ['tags', 'languages', 'persons', 'events', 'places', 'consents']) w[k] ??= [];
  w.summary ??= '';
  w.narrative ??= '';
  w.testifier ??= { ...blankPerson(), roles: ['testifier'] };
  const persons: Working[] = [w.testifier, ...w.persons];
  for (const p of persons) {
    p.names ??= [];
    p.roles ??= [];
  }
  for (const e of w.events) {
    e.victims ??= [];
    e.perpetrators ??= [];
    e.acts ??= [];
    for (const a of e.acts) a.perpetrators ??= [];
  }
  for (const p of w.places) p.names ??= [];
  for (const c of w.consents) {
    c.scopes ??= {};
    c.conditions ??= {};
  }
  return w;
}

/**
 * Removes blank strings, nulls, `false`, empty lists and empty objects, at every depth. Every
 * flag of the model defaults to false, and a checkbox binding writes `false` into a field
 * that was absent: both must compare equal, or an untouched form would look edited.
 */
export function prune(v: unknown): unknown {
  if (v === false) return undefined;
  if (typeof v === 'string') return v.trim() === '' ? undefined : v;
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'number') return Number.isNaN(v) ? undefined : v;
  if (Array.isArray(v)) {
    const items = v.map(prune).filter((x) => x !== undefined);
    return items.length ? items : undefined;
  }
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const p = prune(x);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v;
}

/** A person with nothing typed but the id we gave it counts as not added. */
function isBlankPerson(p: Working | undefined): boolean {
  if (!p) return true;
  const rest = prune({ ...p, id: undefined, roles: undefined }) as Working | undefined;
  return rest === undefined;
}

/** The working copy as the core expects it. */
export function toSaved(w: Working): Testimony {
  const copy = clone(w);
  if (isBlankPerson(copy.testifier)) delete copy.testifier;
  copy.persons = (copy.persons ?? []).filter((p: Working) => !isBlankPerson(p));
  copy.tags = (copy.tags ?? []).map((s: string) => s.trim()).filter(Boolean);
  // A condition only means something for a scope whose decision is "conditional".
  for (const c of copy.consents ?? []) {
    for (const scope of Object.keys(c.conditions ?? {})) {
      if (c.scopes?.[scope] !== 'conditional') delete c.conditions[scope];
    }
  }
  const saved = (prune(copy) ?? {}) as Working;
  saved.code ??= '';
  saved.status ??= 'draft';
  return saved as Testimony;
}

/** The best name to show for a person: the first one typed. */
export function personLabel(p: Person | Working, fallback: string): string {
  const n = (p.names ?? []).find((x: { name?: string }) => x.name?.trim());
  return n?.name ?? fallback;
}

export type SortKey = 'interview_date' | 'code' | 'status';

/** The list as shown: filtered by a quick text (code, summary, interviewer), then sorted. */
export function visibleTestimonies(
  all: TestimonySummary[],
  filter: string,
  sort: SortKey,
): TestimonySummary[] {
  const q = filter.trim().toLocaleLowerCase();
  const hit = (s: string | null) => (s ?? '').toLocaleLowerCase().includes(q);
  const rows = q ? all.filter((r) => hit(r.code) || hit(r.summary) || hit(r.interviewer)) : [...all];
  const statusOrder = { draft: 0, reviewed: 1, locked: 2 } as const;
  rows.sort((a, b) => {
    if (sort === 'code') return a.code.localeCompare(b.code, undefined, { numeric: true });
    if (sort === 'status') return statusOrder[a.status] - statusOrder[b.status] || a.code.localeCompare(b.code);
    // Newest interview first; undated last.
    return (b.interview_date ?? '').localeCompare(a.interview_date ?? '') || a.code.localeCompare(b.code);
  });
  return rows;
}

/** A recovery key in groups of five after its prefix, easier to copy onto paper. */
export function groupRecoveryKey(key: string): string {
  const prefix = 'AGE-SECRET-KEY-1';
  if (!key.startsWith(prefix)) return key;
  const groups = key.slice(prefix.length).match(/.{1,5}/g) ?? [];
  return [prefix, ...groups].join(' ');
}

/** An RFC 3339 instant as a `datetime-local` input shows it, in this computer's time zone. */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value (this computer's time zone) as an RFC 3339 instant in UTC. */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().replace('.000Z', 'Z');
}
