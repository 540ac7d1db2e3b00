import { UsageError } from '../errors.js';
import { buildHeaders, parseApiKeyHeader, readCaFile, readKeyFile } from '../credentials.js';
import type { IO } from '../io/io.js';
import { parseHeaderFlag } from './parse.js';

/**
 * The flags that say how to reach a gateway with credentials, shared by every
 * command that talks to one (`tail`, `approvals`, `approve`, `deny`): the
 * same names, the same checks, the same messages.
 */

/** The raw values commander hands over. */
export interface ConnectionFlags {
  apiKey?: string;
  apiKeyFile?: string;
  bearer?: boolean;
  apiKeyHeader?: string;
  header?: string[];
  ca?: string;
  insecure?: boolean;
}

/** Credentials, headers and TLS settings, checked; the files are read by `loadConnectionFiles`. */
export interface ConnectionOptions {
  /** The key from -k/--api-key, HANGAR_API_KEY or the key file (never printed). */
  readonly apiKey: string | undefined;
  /** A key file (one key per line, `#` comments; the first key is used). */
  readonly apiKeyFile: string | undefined;
  readonly bearer: boolean;
  /** --api-key-header: the header the API key travels in (default X-API-Key). */
  readonly apiKeyHeader?: string | undefined;
  /** -H headers, in order. */
  readonly headers: readonly (readonly [string, string])[];
  /** What every request carries: the credential header, then the -H headers. */
  readonly requestHeaders: Readonly<Record<string, string>>;
  readonly caFile: string | undefined;
  /** The CA certificate (PEM) once read. */
  readonly ca: Buffer | undefined;
  readonly insecure: boolean;
}

/**
 * Pure: connection flags (and HANGAR_API_KEY) -> ConnectionOptions. Throws a
 * UsageError naming the flag for a bad value or combination.
 */
export function toConnectionOptions(flags: ConnectionFlags, env: Readonly<Record<string, string | undefined>>): ConnectionOptions {
  if (flags.apiKey !== undefined && flags.apiKeyFile !== undefined) {
    throw new UsageError('use either -k/--api-key or --api-key-file, not both');
  }
  if (flags.apiKey !== undefined && flags.apiKey.trim() === '') throw new UsageError('empty -k/--api-key');
  const apiKey = flags.apiKey ?? (flags.apiKeyFile === undefined ? nonEmpty(env.HANGAR_API_KEY) : undefined);
  const bearer = flags.bearer === true;
  if (bearer && apiKey === undefined && flags.apiKeyFile === undefined) {
    throw new UsageError('--bearer sends the API key as a bearer token, but there is no key: give one with -k/--api-key, --api-key-file or HANGAR_API_KEY');
  }
  const apiKeyHeader = flags.apiKeyHeader === undefined ? undefined : parseApiKeyHeader('--api-key-header', flags.apiKeyHeader);
  if (apiKeyHeader !== undefined && bearer) {
    throw new UsageError('--api-key-header names the header an API key travels in; --bearer sends a JWT/OIDC token as Authorization: Bearer instead: use one');
  }
  if (apiKeyHeader !== undefined && apiKey === undefined && flags.apiKeyFile === undefined) {
    throw new UsageError('--api-key-header names the header for the API key, but there is no key: give one with -k/--api-key, --api-key-file or HANGAR_API_KEY');
  }
  const headers = (flags.header ?? []).map(parseHeaderFlag);
  return {
    apiKey,
    apiKeyFile: flags.apiKeyFile,
    bearer,
    apiKeyHeader,
    headers,
    requestHeaders: buildHeaders({ apiKey, bearer, apiKeyHeader, extra: headers }),
    caFile: flags.ca,
    ca: undefined,
    insecure: flags.insecure === true,
  };
}

/**
 * Reads the files the flags name (--api-key-file, --ca) into the options, so
 * their errors come before any request: an unreadable or empty key file is a
 * usage error (exit 2), an unreadable CA file a runtime error (exit 1), a CA
 * file that holds no PEM certificate a usage error.
 */
export async function loadConnectionFiles<T extends ConnectionOptions>(options: T, io: Pick<IO, 'cwd'>): Promise<T> {
  let loaded = options;
  if (options.apiKeyFile !== undefined) {
    const [apiKey] = await readKeyFile(options.apiKeyFile, io.cwd, '--api-key-file');
    loaded = { ...loaded, apiKey, requestHeaders: buildHeaders({ apiKey, bearer: options.bearer, apiKeyHeader: options.apiKeyHeader, extra: options.headers }) };
  }
  if (options.caFile !== undefined) {
    loaded = { ...loaded, ca: await readCaFile(options.caFile, io.cwd, '--ca') };
  }
  return loaded;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
