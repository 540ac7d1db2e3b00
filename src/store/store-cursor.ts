/**
 * Where a reader stands in the log. SQLite has one writer, so the global
 * position is commit order. PostgreSQL positions are not (two writers take 5
 * and 6 and commit 6 first), so its cursor is the transaction watermark:
 * `(xact_id, global_position)`, read only below the oldest transaction still
 * in flight (PROTOCOL.md Part 4).
 */
export type StoreCursor = { readonly engine: 'sqlite'; readonly position: number } | { readonly engine: 'postgres'; readonly xid: string; readonly position: number };
