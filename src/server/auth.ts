import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The outcome of checking a request's credentials. */
export type AuthResult = 'ok' | 'missing' | 'wrong';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Checks `X-API-Key` or `Authorization: Bearer` against the configured keys.
 * Both sides are hashed to equal-length digests and compared with
 * `timingSafeEqual` against every key (no early exit), so neither the length
 * nor the content of a key leaks through timing. With no keys configured
 * every request passes.
 */
export function createKeyChecker(keys: readonly string[]): (headers: IncomingHttpHeaders) => AuthResult {
  const digests = keys.map(digest);
  return (headers) => {
    if (digests.length === 0) return 'ok';
    const presented = presentedCredential(headers);
    if (presented === undefined) return 'missing';
    const candidate = digest(presented);
    let matched = false;
    for (const key of digests) {
      if (timingSafeEqual(candidate, key)) matched = true;
    }
    return matched ? 'ok' : 'wrong';
  };
}

/** The credential a request carries: `X-API-Key`, else a Bearer token; undefined when neither is sent. */
export function presentedCredential(headers: IncomingHttpHeaders): string | undefined {
  const apiKey = headers['x-api-key'];
  const key = Array.isArray(apiKey) ? apiKey[0] : apiKey;
  if (key !== undefined && key.length > 0) return key;
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const match = /^\s*Bearer\s+(.+?)\s*$/i.exec(authorization);
    if (match) return match[1];
    // Some other scheme (Basic ...): a credential was sent, just not one we accept.
    if (authorization.trim().length > 0) return authorization;
  }
  return undefined;
}
