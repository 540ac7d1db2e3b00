import { UsageError } from '../errors.js';

/**
 * Where an event store lives, parsed from `--store`: an SQLite file (a path,
 * or `sqlite:PATH`) or a PostgreSQL database (`postgres://` or
 * `postgresql://`, the libpq URL form). Pure: nothing is opened here.
 */
export type StoreLocation =
  | { readonly engine: 'sqlite'; readonly path: string; readonly display: string }
  | {
      readonly engine: 'postgres';
      /** The URL exactly as given (it may hold a password: never print it). */
      readonly url: string;
      /** The URL without its password, for messages. */
      readonly display: string;
      /** Whether the URL itself carries a password (else PGPASSWORD, then ~/.pgpass). */
      readonly hasPassword: boolean;
    };

const POSTGRES_SCHEMES = ['postgres:', 'postgresql:'];

/** Parses a `--store` value; throws a UsageError naming the flag for anything unusable. */
export function parseStoreLocation(text: string): StoreLocation {
  const value = text.trim();
  if (value === '') throw new UsageError("empty --store: give an SQLite file (data/events.db) or a postgresql:// URL");
  const scheme = /^([a-z][a-z0-9+.-]*:)/i.exec(value)?.[1]?.toLowerCase();
  if (scheme !== undefined && POSTGRES_SCHEMES.includes(scheme)) return parsePostgres(value);
  if (scheme === 'sqlite:') {
    const path = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new UsageError("invalid --store 'sqlite:': give the file after the colon, e.g. sqlite:data/events.db");
    return { engine: 'sqlite', path, display: `sqlite:${path}` };
  }
  // Anything with `scheme://` that is not ours is a mistake, not a file name.
  if (scheme !== undefined && value.slice(scheme.length).startsWith('//')) {
    throw new UsageError(
      `unsupported --store '${redactUrl(value)}': the gateway's event store is an SQLite file (a path or sqlite:PATH) or PostgreSQL (postgresql://user@host/db)`,
    );
  }
  return { engine: 'sqlite', path: value, display: `sqlite:${value}` };
}

function parsePostgres(value: string): StoreLocation {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`invalid --store URL '${redactUrl(value)}': expected postgresql://[user[:password]@][host][:port][/database][?param=value]`);
  }
  return { engine: 'postgres', url: value, display: redactUrl(value), hasPassword: url.password !== '' || url.searchParams.has('password') };
}

/** The URL with any password (in the userinfo or a `password=` parameter) replaced by `***`. */
export function redactUrl(value: string): string {
  return value
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#@]*@/i, '$1:***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}
