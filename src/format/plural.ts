/**
 * `count` with its noun in the right number: `1 event`, `2 events`,
 * `0 events`. `shown` is how the count is written (a formatted figure such
 * as `1.2k`); the noun follows the count itself.
 */
export function plural(count: number, singular: string, pluralForm = `${singular}s`, shown: string = String(count)): string {
  return `${shown} ${count === 1 ? singular : pluralForm}`;
}
