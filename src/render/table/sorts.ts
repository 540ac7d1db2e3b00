/**
 * The live table's sort orders (`--sort`, the `s` key), apart from the
 * renderer so that parsing tail's flags does not load it.
 */

/** Row orders; `problems` (the default) puts servers in trouble first, then by name. */
export const TABLE_SORTS = ['problems', 'server', 'state', 'errors', 'calls', 'latency', 'last'] as const;
export type TableSort = (typeof TABLE_SORTS)[number];

/** The sort after `sort` in the cycle the `s` key walks through. */
export function nextSort(sort: TableSort): TableSort {
  return TABLE_SORTS[(TABLE_SORTS.indexOf(sort) + 1) % TABLE_SORTS.length]!;
}
