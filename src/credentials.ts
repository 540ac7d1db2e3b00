import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { UsageError } from './errors.js';

/**
 * Credentials, one rule for every command: API key files (one key per line;
 * blank lines and lines starting with `#` are not keys; a file that cannot be
 * read or holds no key is a usage error, exit 2) and the headers that carry a
 * key (`X-API-Key`, or `Authorization: Bearer` with --bearer). Never echoes a key.
 */

/** The keys of a key file's text: its non-blank lines, trimmed, except `#` comment lines. */
export function parseKeyFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}

/**
 * Reads the keys of a key file (resolved against `cwd`). `flag` names the
 * option the path came from, for the error. Throws a UsageError when the file
 * cannot be read or holds no key.
 */
export async function readKeyFile(path: string, cwd: string, flag: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(resolvePath(cwd, path), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${flag} ${path}${code ? ` (${code})` : ''}: check the path and its permissions`);
  }
  const keys = parseKeyFile(text);
  if (keys.length === 0) throw new UsageError(`${flag} ${path} contains no key: put one key per line (blank lines and # comments are ignored)`);
  return keys;
}

/** Credentials and extra headers for a request (the WebSocket upgrade, an ingest POST). */
export interface HeaderOptions {
  /** The API key or token, if any (never printed). */
  readonly apiKey?: string | undefined;
  /** Send `Authorization: Bearer <key>` instead of `X-API-Key: <key>`. */
  readonly bearer?: boolean;
  /** Extra headers, in order; later ones win. */
  readonly extra?: readonly (readonly [string, string])[];
}

/** The headers to send: credentials first, then the extra headers (which may override them). */
export function buildHeaders(options: HeaderOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.apiKey !== undefined && options.apiKey !== '') {
    if (options.bearer) headers.Authorization = `Bearer ${options.apiKey}`;
    else headers['X-API-Key'] = options.apiKey;
  }
  for (const [name, value] of options.extra ?? []) {
    for (const existing of Object.keys(headers)) {
      if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
    }
    headers[name] = value;
  }
  return headers;
}

/** Whether any credential travels with the request (for the wording of auth errors). */
export function hasCredentials(headers: Readonly<Record<string, string>>): boolean {
  return Object.keys(headers).some((name) => /^(x-api-key|authorization)$/i.test(name));
}
