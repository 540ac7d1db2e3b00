/**
 * Rows kept by key, in order of first appearance, with a fixed capacity:
 * what every aggregate view holds. Immutable: `upsertRow` returns a new
 * value (the index map is replaced only when a key is added), so views stay
 * pure reducers at the cost of one array copy per change.
 */

export interface KeyedRows<T> {
  readonly rows: readonly T[];
  readonly index: ReadonlyMap<string, number>;
  /** Events for keys beyond the capacity: counted, not kept. */
  readonly overflow: number;
}

export function emptyRows<T>(): KeyedRows<T> {
  return { rows: [], index: new Map(), overflow: 0 };
}

/**
 * The rows with `key`'s row updated (or created from `create` first). Beyond
 * `capacity` keys a new key is only counted in `overflow`.
 */
export function upsertRow<T>(rows: KeyedRows<T>, key: string, capacity: number, create: () => T, update: (row: T) => T): KeyedRows<T> {
  const at = rows.index.get(key);
  if (at === undefined) {
    if (rows.rows.length >= capacity) return { ...rows, overflow: rows.overflow + 1 };
    return { rows: [...rows.rows, update(create())], index: new Map(rows.index).set(key, rows.rows.length), overflow: rows.overflow };
  }
  const next = rows.rows.slice();
  next[at] = update(rows.rows[at]!);
  return { rows: next, index: rows.index, overflow: rows.overflow };
}

/** The row of `key`, if kept. */
export function rowOf<T>(rows: KeyedRows<T>, key: string): T | undefined {
  const at = rows.index.get(key);
  return at === undefined ? undefined : rows.rows[at];
}

/** A small set of names kept in a row (servers a caller used): the first `max` in order, then only counted. */
export function addName(names: readonly string[], name: string, max: number): readonly string[] {
  if (names.includes(name) || names.length >= max) return names;
  return [...names, name];
}
