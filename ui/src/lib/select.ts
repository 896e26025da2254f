import { personLabel, type Working } from './model';

/** One choice of a `Select`: its value, its label, and the label's language and direction
 *  when they are not the UI's (a language's own name, a person's name). */
export type SelectOption<V> = { value: V; label: string; lang?: string; dir?: 'ltr' | 'rtl' | 'auto' };

/** Persons or places of the testimony as choices, by their first name; `none` first if given. */
export function recordChoices(
  records: readonly Working[],
  unnamed: string,
  none?: string,
): SelectOption<string | undefined>[] {
  return [
    ...(none === undefined ? [] : [{ value: undefined, label: none }]),
    ...records.map((r) => ({ value: r.id as string | undefined, label: personLabel(r, unnamed) })),
  ];
}
