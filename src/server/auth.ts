import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The outcome of checking a request's credentials. */
export type AuthResult = 'ok' | 'missing' | 'wrong';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Checks the API-key header (`X-API-Key` unless configured otherwise), an
 * `Authorization: Bearer` token or a `?token=` query parameter (as a gateway
 * accepts on its WebSocket) against the configured keys. Both sides are
 * hashed to equal-length digests and compared with `timingSafeEqual` against
 * every key (no early exit), so neither the length nor the content of a key
 * leaks through timing. With no keys configured every request passes.
 */
export function createKeyChecker(keys: readonly string[], apiKeyHeader = 'x-api-key'): (headers: IncomingHttpHeaders, url?: string) => AuthResult {
  const identify = createKeyIdentifier(keys, apiKeyHeader);
  return (headers, url) => {
    const found = identify(headers, url);
    return found === 'missing' || found === 'wrong' ? found : 'ok';
  };
}

/**
 * Like createKeyChecker, but says which key matched: its position (0-based)
 * among `keys`, or `none` when no keys are configured. Every key is compared
 * (no early exit), as in the checker.
 */
export function createKeyIdentifier(keys: readonly string[], apiKeyHeader = 'x-api-key'): (headers: IncomingHttpHeaders, url?: string) => number | 'none' | 'missing' | 'wrong' {
  const digests = keys.map(digest);
  const header = apiKeyHeader.toLowerCase();
  return (headers, url) => {
    if (digests.length === 0) return 'none';
    const presented = presentedCredential(headers, header, url);
    if (presented === undefined) return 'missing';
    const candidate = digest(presented);
    let matched = -1;
    digests.forEach((key, index) => {
      if (timingSafeEqual(candidate, key) && matched < 0) matched = index;
    });
    return matched >= 0 ? matched : 'wrong';
  };
}

/**
 * The credential a request carries: the API-key header (lower-case name,
 * default `x-api-key`), else a Bearer token, else `?token=` in the URL;
 * undefined when none is sent.
 */
export function presentedCredential(headers: IncomingHttpHeaders, apiKeyHeader = 'x-api-key', url?: string): string | undefined {
  const apiKey = headers[apiKeyHeader];
  const key = Array.isArray(apiKey) ? apiKey[0] : apiKey;
  if (key !== undefined && key.length > 0) return key;
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const match = /^\s*Bearer\s+(.+?)\s*$/i.exec(authorization);
    if (match) return match[1];
    // Some other scheme (Basic ...): a credential was sent, just not one we accept.
    if (authorization.trim().length > 0) return authorization;
  }
  const q = url === undefined ? -1 : url.indexOf('?');
  if (q >= 0) {
    const token = new URLSearchParams(url!.slice(q + 1)).get('token');
    if (token !== null && token.length > 0) return token;
  }
  return undefined;
}
