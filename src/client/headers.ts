import { UsageError } from '../errors.js';

/** Credentials and extra headers for the WebSocket upgrade request. */
export interface HeaderOptions {
  /** The API key or token, if any (never printed). */
  readonly apiKey?: string | undefined;
  /** Send `Authorization: Bearer <key>` instead of `X-API-Key: <key>`. */
  readonly bearer?: boolean;
  /** Extra `-H 'Name: value'` headers, in order; later ones win. */
  readonly extra?: readonly (readonly [string, string])[];
}

const tokenPattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Parses one `-H 'Name: value'` flag into a header pair. */
export function parseHeaderFlag(text: string): [string, string] {
  const colon = text.indexOf(':');
  if (colon <= 0) {
    throw new UsageError(`invalid -H/--header '${text.length > 40 ? `${text.slice(0, 40)}...` : text}': expected 'Name: value'`);
  }
  const name = text.slice(0, colon).trim();
  const value = text.slice(colon + 1).trim();
  if (!tokenPattern.test(name)) throw new UsageError(`invalid -H/--header name '${name}': not a valid HTTP header name`);
  if (/[\r\n\0]/.test(value)) throw new UsageError(`invalid -H/--header '${name}': the value contains a line break`);
  return [name, value];
}

/** The headers to send on the upgrade: credentials first, then `-H` headers (which may override them). */
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
