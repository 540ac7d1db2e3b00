import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** What a ~/.pgpass line is matched against (libpq's rules). */
export interface PgpassTarget {
  readonly host: string;
  readonly port: string;
  readonly database: string;
  readonly user: string;
}

/**
 * The password for `target` from the password file, as libpq finds it:
 * `$PGPASSFILE`, else `~/.pgpass`; lines `host:port:database:user:password`,
 * `*` matches anything, `\:` and `\\` escape; the first matching line wins; a
 * file readable by group or others is ignored (libpq refuses it too).
 * Resolves undefined when there is no file, no match, or the file is unsafe.
 */
export async function lookupPgpass(target: PgpassTarget, env: Readonly<Record<string, string | undefined>>, home: string): Promise<string | undefined> {
  const file = env.PGPASSFILE !== undefined && env.PGPASSFILE !== '' ? env.PGPASSFILE : join(home, '.pgpass');
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile() || (info.mode & 0o077) !== 0) return undefined;
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  // A socket directory counts as "localhost" for the file, as in libpq.
  const host = target.host.startsWith('/') ? 'localhost' : target.host;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const fields = splitPgpassLine(line);
    if (fields.length < 5) continue;
    const [h, p, d, u] = fields as [string, string, string, string];
    const matches = (pattern: string, value: string) => pattern === '*' || pattern === value;
    if (matches(h, host) && matches(p, target.port) && matches(d, target.database) && matches(u, target.user)) {
      return fields.slice(4).join(':');
    }
  }
  return undefined;
}

function splitPgpassLine(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      current += line[++i];
    } else if (c === ':' && fields.length < 4) {
      fields.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  fields.push(current);
  return fields;
}
