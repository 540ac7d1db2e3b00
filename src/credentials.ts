import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { RuntimeError, UsageError } from './errors.js';

/**
 * Credentials, one rule for every command: API key files (one key per line;
 * blank lines and lines starting with `#` are not keys; a file that cannot be
 * read or holds no key is a usage error, exit 2) and the headers that carry a
 * credential: an API key in `X-API-Key` (or the header a gateway is
 * configured to read, --api-key-header), or a JWT/OIDC token as
 * `Authorization: Bearer` (--bearer). Never echoes a key.
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

/** The header a gateway reads API keys from unless it is configured otherwise. */
export const DEFAULT_API_KEY_HEADER = 'X-API-Key';

/** RFC 9110 token characters: what a header name may consist of. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Checks the name given to `--api-key-header` (`flag` names it in the
 * error): a valid header name, and not `Authorization`, which carries
 * bearer tokens (`--bearer`). Throws a UsageError otherwise.
 */
export function parseApiKeyHeader(flag: string, value: string): string {
  const name = value.trim();
  if (!HEADER_NAME.test(name)) {
    throw new UsageError(`invalid ${flag} '${value}': expected a header name such as X-API-Key or X-Hangar-Key (letters, digits and -, no colon or spaces)`);
  }
  if (name.toLowerCase() === 'authorization') {
    throw new UsageError(`invalid ${flag} '${value}': Authorization carries bearer tokens (JWT/OIDC); use --bearer for that`);
  }
  return name;
}

/** Credentials and extra headers for a request (the WebSocket upgrade, an ingest POST). */
export interface HeaderOptions {
  /** The API key or token, if any (never printed). */
  readonly apiKey?: string | undefined;
  /** Send `Authorization: Bearer <key>` (a JWT/OIDC token) instead of the API-key header. */
  readonly bearer?: boolean;
  /** The header an API key travels in (default X-API-Key; a gateway can be configured to read another). */
  readonly apiKeyHeader?: string | undefined;
  /** Extra headers, in order; later ones win. */
  readonly extra?: readonly (readonly [string, string])[];
}

/** The headers to send: credentials first, then the extra headers (which may override them). */
export function buildHeaders(options: HeaderOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.apiKey !== undefined && options.apiKey !== '') {
    if (options.bearer) headers.Authorization = `Bearer ${options.apiKey}`;
    else headers[options.apiKeyHeader ?? DEFAULT_API_KEY_HEADER] = options.apiKey;
  }
  for (const [name, value] of options.extra ?? []) {
    for (const existing of Object.keys(headers)) {
      if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
    }
    headers[name] = value;
  }
  return headers;
}

/** Whether any credential travels with the request (for the wording of auth errors); `apiKeyHeader` is the configured key header. */
export function hasCredentials(headers: Readonly<Record<string, string>>, apiKeyHeader: string = DEFAULT_API_KEY_HEADER): boolean {
  const key = apiKeyHeader.toLowerCase();
  return Object.keys(headers).some((name) => /^(x-api-key|authorization)$/i.test(name) || name.toLowerCase() === key);
}

/**
 * Reads a CA certificate file for wss:// (resolved against `cwd`); `flag`
 * names the option it came from. Unreadable: a RuntimeError (exit 1). Not
 * PEM (Node would ignore it, and every handshake would then blame the
 * server): a UsageError that says what the file is and how to convert it.
 */
export async function readCaFile(path: string, cwd: string, flag: string): Promise<Buffer> {
  let ca: Buffer;
  try {
    ca = await readFile(resolvePath(cwd, path));
  } catch (error) {
    throw new RuntimeError(`cannot read the CA certificate ${path} (${flag})`, { cause: error });
  }
  // Loaded here: node:crypto (for X509Certificate) costs a start ~10 ms, and only --ca needs it.
  const { whyNotPemCertificates } = await import('./ca-certificate.js');
  const why = whyNotPemCertificates(ca);
  if (why !== undefined) throw new UsageError(`${flag} ${path} is not a PEM CA certificate: ${why.replace('FILE', path)}`);
  return ca;
}
