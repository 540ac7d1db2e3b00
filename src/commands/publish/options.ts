import { parseApiKeyHeader } from '../../credentials.js';
import { UsageError } from '../../errors.js';
import { parseDurationMs, parseInteger } from '../parse.js';

/** Where events are posted when neither --url nor HANGAR_URL says otherwise. */
export const DEFAULT_PUBLISH_URL = 'http://127.0.0.1:8000';
/** The ingest path of `hangar-events serve`. */
export const INGEST_PATH = '/api/events';
export const DEFAULT_BATCH_SIZE = 500;
/** Largest request body publish builds, bytes: half of serve's 1 MiB ingest limit. */
export const MAX_BATCH_BYTES = 512 * 1024;
export const DEFAULT_PUBLISH_TIMEOUT_MS = 30_000;

export interface PublishOptions {
  /** File to read, or undefined for stdin. */
  file: string | undefined;
  /** Full ingest URL (http(s)://host:port/.../api/events). */
  url: URL;
  /** Credential, when any: sent as X-API-Key, or as a bearer token with `bearer`. */
  apiKey: string | undefined;
  /** Where the key came from, for messages (never the key itself). */
  apiKeySource: '--api-key' | '--api-key-file' | 'HANGAR_API_KEY' | undefined;
  bearer: boolean;
  /** --api-key-header: the header the key travels in (default X-API-Key). */
  apiKeyHeader: string | undefined;
  batchSize: number;
  timeoutMs: number;
}

/** Raw commander values of `publish`. */
export interface PublishFlags {
  url?: string;
  apiKey?: string;
  apiKeyFile?: string;
  bearer?: boolean;
  apiKeyHeader?: string;
  batchSize?: string;
  timeout?: string;
}

/**
 * Turns a `--url` value into the ingest URL. Accepts what `tail` accepts
 * (`ws://`, `wss://`, `http(s)://`, bare `host:port`): ws maps to http, wss to
 * https; a missing path or the stream path `/api/ws/events` becomes
 * `/api/events`; any other path is kept as a prefix (a reverse proxy's).
 */
export function toIngestUrl(raw: string): URL {
  const text = raw.trim();
  if (text === '') throw new UsageError("invalid --url '': expected a URL such as http://127.0.0.1:8000 or host:port");
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`invalid --url '${raw}': expected a URL such as http://127.0.0.1:8000, ws://host:8000/api/ws/events or host:port`);
  }
  const schemes: Record<string, string> = { 'http:': 'http:', 'https:': 'https:', 'ws:': 'http:', 'wss:': 'https:' };
  const scheme = schemes[url.protocol];
  if (!scheme) throw new UsageError(`invalid --url '${raw}': the scheme must be http, https, ws or wss`);
  // URL refuses to switch a special scheme to another in place across ws/http, so rebuild.
  const rebuilt = new URL(`${scheme}//${url.host}`);
  rebuilt.username = url.username;
  rebuilt.password = url.password;
  const path = url.pathname.replace(/\/+$/, '');
  if (path === '' || path.endsWith('/api/ws/events')) rebuilt.pathname = path.slice(0, path.length - (path.endsWith('/api/ws/events') ? '/api/ws/events'.length : 0)) + INGEST_PATH;
  else if (path.endsWith(INGEST_PATH)) rebuilt.pathname = path;
  else rebuilt.pathname = path + INGEST_PATH;
  rebuilt.search = url.search;
  return rebuilt;
}

/** Pure: flags + environment (+ the keys of --api-key-file, already read) -> options. Throws UsageError. */
export function parsePublishOptions(
  file: string | undefined,
  flags: PublishFlags,
  env: Readonly<Record<string, string | undefined>>,
  keyFileKeys?: readonly string[],
): PublishOptions {
  const url = toIngestUrl(flags.url ?? (env.HANGAR_URL?.trim() ? env.HANGAR_URL : DEFAULT_PUBLISH_URL));
  if (flags.apiKey !== undefined && flags.apiKeyFile !== undefined) {
    throw new UsageError('give either --api-key or --api-key-file, not both');
  }
  let apiKey: string | undefined;
  let apiKeySource: PublishOptions['apiKeySource'];
  if (flags.apiKey !== undefined) {
    if (flags.apiKey.trim() === '') throw new UsageError('--api-key is empty');
    apiKey = flags.apiKey.trim();
    apiKeySource = '--api-key';
  } else if (flags.apiKeyFile !== undefined) {
    const key = keyFileKeys?.[0];
    if (key === undefined) throw new UsageError(`--api-key-file ${flags.apiKeyFile} contains no key: put one key per line (blank lines and # comments are ignored)`);
    apiKey = key;
    apiKeySource = '--api-key-file';
  } else if (env.HANGAR_API_KEY !== undefined && env.HANGAR_API_KEY.trim() !== '') {
    apiKey = env.HANGAR_API_KEY.trim();
    apiKeySource = 'HANGAR_API_KEY';
  }
  const apiKeyHeader = flags.apiKeyHeader === undefined ? undefined : parseApiKeyHeader('--api-key-header', flags.apiKeyHeader);
  if (apiKeyHeader !== undefined && flags.bearer) {
    throw new UsageError('--api-key-header names the header an API key travels in; --bearer sends a JWT/OIDC token as Authorization: Bearer instead: use one');
  }
  if (apiKeyHeader !== undefined && apiKey === undefined) {
    throw new UsageError('--api-key-header needs a credential: give --api-key, --api-key-file or HANGAR_API_KEY');
  }
  if (flags.bearer && apiKey === undefined) {
    throw new UsageError('--bearer needs a credential: give --api-key, --api-key-file or HANGAR_API_KEY');
  }
  return {
    file: file === '-' ? undefined : file,
    url,
    apiKey,
    apiKeySource,
    bearer: flags.bearer ?? false,
    apiKeyHeader,
    batchSize: flags.batchSize === undefined ? DEFAULT_BATCH_SIZE : parseInteger('--batch-size', flags.batchSize, 1, 100_000),
    timeoutMs: flags.timeout === undefined ? DEFAULT_PUBLISH_TIMEOUT_MS : parseDurationMs('--timeout', flags.timeout),
  };
}
