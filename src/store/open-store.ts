import { resolve } from 'node:path';
import type { StoreLocation } from './location.js';
import type { StoreReader } from './store-reader.js';
import { storeTables } from './table-names.js';

export interface OpenStoreOptions {
  /** Relative SQLite paths are resolved against this. */
  readonly cwd: string;
  readonly tablePrefix?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Opens the store at `location` read-only, loading only the driver it needs. Throws StoreError. */
export async function openStore(location: StoreLocation, options: OpenStoreOptions): Promise<StoreReader> {
  const tables = storeTables(options.tablePrefix);
  if (location.engine === 'sqlite') {
    const { openSqliteStore } = await import('./sqlite-reader.js');
    return openSqliteStore({ path: resolve(options.cwd, location.path), display: location.display, tables });
  }
  const { openPostgresStore } = await import('./postgres-reader.js');
  return openPostgresStore({ url: location.url, display: location.display, hasPassword: location.hasPassword, tables, env: options.env });
}
