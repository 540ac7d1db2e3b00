import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StoreError } from '../errors.js';

/**
 * The database drivers, loaded only when a store is opened: `--version`,
 * `--help` and a tail without `--store` never load them. better-sqlite3 is an
 * optional dependency (it compiles on install); a missing driver is a
 * StoreError that says how to install it, not a stack trace.
 */

export type SqliteConstructor = typeof BetterSqlite3;
export type PgModule = typeof pg;

/**
 * better-sqlite3 is CommonJS: required, not imported (an `import` makes Node's ESM loader parse it and
 * the files it re-exports for their exports first: ~5-8 ms of every store-only start, bench scenario 9).
 */
export async function loadSqliteDriver(): Promise<SqliteConstructor> {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as SqliteConstructor;
  } catch (error) {
    throw new StoreError(
      `cannot read an SQLite store: its driver (the optional dependency better-sqlite3) is not installed or did not build here (${describeLoadError(error)}); install it with 'npm install better-sqlite3@12' where hangar-events is installed, which works for a global install too: cd '${packageRoot()}' && npm install --no-save better-sqlite3@12 (it needs a C++ compiler, make and python3); or use a PostgreSQL store`,
    );
  }
}

/**
 * better-sqlite3's compiled addon where its install puts it, for the `nativeBinding` option: without
 * it, each open looks for the addon through the `bindings` package's list of candidate folders
 * (~2 ms of a store tail's start, bench scenario 9); undefined when it is not there (then that search).
 */
export function sqliteBinding(): string | undefined {
  try {
    const path = join(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

export async function loadPgDriver(): Promise<PgModule> {
  try {
    const module = (await import('pg')) as unknown as { default: PgModule };
    return module.default;
  } catch (error) {
    throw new StoreError(`cannot read a PostgreSQL store: its driver (the dependency pg) is not installed (${describeLoadError(error)}); reinstall hangar-events or run 'npm install pg@8'`);
  }
}

function describeLoadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return 'module not found';
  const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  return message.length > 160 ? `${message.slice(0, 160)}...` : message;
}

/** The folder hangar-events is installed in (a clone, node_modules/hangar-events, or npm's global root): the driver is found there. */
function packageRoot(): string {
  return fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
}
