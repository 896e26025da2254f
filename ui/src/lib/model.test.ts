import { describe, expect, it } from 'vitest';
import type { TestimonySummary } from './bindings';
import { blankTestimony, fromLocalInput, groupRecoveryKey, toLocalInput, prune, toSaved, toWorking, visibleTestimonies } from './model';

describe('what the editor saves', () => {
  it('drops blank fields and an untouched testifier, keeps what was typed', () => {
    const w = blankTestimony();
    w.code = 'ALA-2025-0001';
    w.narrative = 'Ержанат Абай — ئەرجانات ئاباي — 叶尔扎那提';
    w.interviewer = '   ';
    w.persons.push({ id: 'p1', names: [{ name: '' }], roles: [] });
    const saved = toSaved(w) as Record<string, unknown>;
    expect(saved).toEqual({
      code: 'ALA-2025-0001',
      status: 'draft',
      narrative: 'Ержанат Абай — ئەرجانات ئاباي — 叶尔扎那提',
    });
  });

  it('keeps a testifier once a name is typed, and a stored testimony round-trips', () => {
    const w = blankTestimony();
    w.code = 'X';
    w.testifier.names[0].name = 'Гүлнар';
    const saved = toSaved(w);
    expect(saved.testifier?.names[0].name).toBe('Гүлнар');
    expect(toSaved(toWorking(saved))).toEqual(saved);
  });

  it('prunes nested empties and false flags but keeps zero, true and real values', () => {
    expect(prune({ a: '', b: [], c: {}, d: [{ e: '' }], f: 0, g: false, h: NaN, i: true })).toEqual({ f: 0, i: true });
  });

  it('an untouched form equals the stored testimony (a checkbox writing false is no edit)', () => {
    const stored = { code: 'A', status: 'draft', testifier: { id: 'p', names: [{ name: 'Ә' }] } };
    const w = toWorking(stored);
    w.testifier.deceased = false;
    w.testifier.birth = undefined;
    expect(JSON.stringify(toSaved(w))).toBe(JSON.stringify(toSaved(toWorking(stored))));
  });
});

describe('the testimony list', () => {
  const row = (code: string, date: string | null, status: 'draft' | 'reviewed' | 'locked', summary = ''): TestimonySummary => ({
    id: code, code, interview_date: date, status, medium: null, interviewer: null, summary, persons: 0, events: 0, updated_at: '',
  });
  const all = [row('ALA-10', '2025-01-02', 'locked'), row('ALA-2', '2025-03-01', 'draft', 'Detained in Ghulja'), row('ALA-3', null, 'reviewed')];

  it('sorts newest interview first, codes in natural order, and by status', () => {
    expect(visibleTestimonies(all, '', 'interview_date').map((r) => r.code)).toEqual(['ALA-2', 'ALA-10', 'ALA-3']);
    expect(visibleTestimonies(all, '', 'code').map((r) => r.code)).toEqual(['ALA-2', 'ALA-3', 'ALA-10']);
    expect(visibleTestimonies(all, '', 'status').map((r) => r.code)).toEqual(['ALA-2', 'ALA-3', 'ALA-10']);
  });

  it('filters on code and summary, ignoring case', () => {
    expect(visibleTestimonies(all, 'ghulja', 'code').map((r) => r.code)).toEqual(['ALA-2']);
    expect(visibleTestimonies(all, 'ala-1', 'code').map((r) => r.code)).toEqual(['ALA-10']);
  });
});

describe('the recovery key as shown', () => {
  it('is grouped in fives after its prefix, with nothing lost', () => {
    const key = 'AGE-SECRET-KEY-1FN6363NYRM7SK0VGAV7ZG6H6HRVL2TCNAE7VMVKFMNX5CSYLF8DSJC3XHZ';
    const shown = groupRecoveryKey(key);
    expect(shown.startsWith('AGE-SECRET-KEY-1 FN636 3NYRM ')).toBe(true);
    expect(shown.replace(/ /g, '')).toBe(key);
  });
});

describe('what the editor saves, continued', () => {
  it('drops a condition once its scope is no longer conditional', () => {
    const w = blankTestimony();
    w.code = 'C';
    w.consents.push({ id: 'c', scopes: { publish_named: 'refused', share_with_un: 'conditional' }, conditions: { publish_named: 'after 2030', share_with_un: 'no names' } });
    const saved = toSaved(w) as unknown as { consents: { conditions: Record<string, string> }[] };
    expect(saved.consents[0].conditions).toEqual({ share_with_un: 'no names' });
  });

  it('call times round-trip through the local date-time input', () => {
    const iso = fromLocalInput('2025-04-12T14:30');
    expect(iso).toMatch(/^2025-04-1[1-3]T\d\d:\d\d:00Z$/);
    expect(toLocalInput(iso)).toBe('2025-04-12T14:30');
    expect(fromLocalInput('')).toBeUndefined();
  });
});
