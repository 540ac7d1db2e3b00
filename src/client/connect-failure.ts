import { stripControl } from '../protocol/sanitize.js';
import type { ClientHints } from './hints.js';

/**
 * Failures of a connection attempt that retrying cannot fix: the TLS
 * handshake refused the certificate or found no TLS at all, or the server
 * redirects the upgrade elsewhere. Each gets a message that says what to do
 * instead; tail exits at once rather than "reconnecting" forever.
 */

export interface FailedAttempt {
  /** The URL as shown to the user (no credentials). */
  readonly url: string;
  /** The socket or TLS error of the attempt, if any. */
  readonly error: Error | undefined;
  /** The HTTP status of a refused upgrade, if the server answered one. */
  readonly status: number | undefined;
  /** The `Location` header of that answer (peer text: sanitized here). */
  readonly location: string | undefined;
  /** Whether a CA certificate was given (the advice differs). */
  readonly caGiven: boolean;
  /** How the user names the CA and insecure settings. */
  readonly hints: Pick<ClientHints, 'ca' | 'insecure'>;
}

/** Certificate verification errors from Node's TLS (OpenSSL's verify codes). */
const UNTRUSTED_CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
]);

/** The message for a permanent failure, or undefined when the attempt may succeed later. */
export function describePermanentFailure(attempt: FailedAttempt): string | undefined {
  if (attempt.status !== undefined && attempt.status >= 300 && attempt.status < 400) return describeRedirect(attempt);
  const error = attempt.error;
  if (!error) return undefined;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const { url } = attempt;
  const { ca, insecure } = attempt.hints;
  if (UNTRUSTED_CERT_CODES.has(code)) {
    const what = code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN' ? 'a self-signed certificate' : 'a certificate no trusted CA signed';
    const advice = attempt.caGiven
      ? `the CA given with ${ca} did not sign it: pass the CA certificate (PEM) that did`
      : `pass the CA certificate (PEM) that signed it with ${ca} FILE, or ${insecure} to skip verification (testing only)`;
    return `TLS: ${url} presented ${what} (${code}); ${advice}`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return `TLS: the certificate of ${url} is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not valid yet'} (${code}); renew it on the server (or check this machine's clock), or ${insecure} to skip verification (testing only)`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `TLS: the certificate of ${url} is for another host name (${stripControl(error.message)}); connect by a name the certificate lists, or ${insecure} to skip verification (testing only)`;
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(error.message)) {
    return `TLS handshake failed: ${url} does not speak TLS; this port speaks plain ws://: use ${url.replace(/^wss:/, 'ws:')}`;
  }
  return undefined;
}

function describeRedirect(attempt: FailedAttempt): string {
  const location = attempt.location === undefined ? undefined : stripControl(attempt.location).slice(0, 300);
  if (location === undefined || location === '') {
    return `${attempt.url} answered HTTP ${attempt.status} (a redirect without a Location) instead of a WebSocket upgrade; check the URL`;
  }
  let target = location;
  try {
    const resolved = new URL(location, attempt.url.replace(/^ws/, 'http'));
    resolved.protocol = resolved.protocol === 'https:' || resolved.protocol === 'wss:' ? 'wss:' : 'ws:';
    target = resolved.toString();
  } catch {
    // Not a URL: quote it as sent.
  }
  return `${attempt.url} redirects (HTTP ${attempt.status}) to ${location}; tail does not follow redirects: connect to ${target} instead`;
}
