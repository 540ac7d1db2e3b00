import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { AuthResult } from './auth.js';

/** Why a request was refused: the HTTP status and a JSON body that says what to do. */
export interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

export interface GuardConfig {
  /** Whether the server is bound to a loopback address (then Host must name loopback too). */
  readonly loopbackBind: boolean;
  /** Allowed `Origin` values (normalized); `*` allows any. A request without Origin is always allowed. */
  readonly allowOrigins: readonly string[];
  readonly checkAuth: (headers: IncomingMessage['headers'], url?: string) => AuthResult;
  /** The header API keys are read from, for the refusal message. */
  readonly apiKeyHeader?: string;
  /** How to allow an origin, for the refusal message (serve names its flag; default: neutral). */
  readonly allowOriginHint?: string;
}

/** Whether a bind address or host name is loopback: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return h.slice(7).startsWith('127.');
  return false;
}

/** The host part of a Host header (`localhost:8000` -> `localhost`, `[::1]:80` -> `::1`). */
export function hostOfHeader(value: string): string {
  const v = value.trim();
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    return end > 0 ? v.slice(1, end) : v;
  }
  const colon = v.indexOf(':');
  // More than one colon without brackets: a bare IPv6 address.
  if (colon >= 0 && v.indexOf(':', colon + 1) === -1) return v.slice(0, colon);
  return v;
}

/** Normalizes an origin for comparison: lower case, no trailing slash. */
export function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

/**
 * DNS rebinding: on a loopback bind, a browser page from evil.example that
 * re-pointed its name at 127.0.0.1 still sends `Host: evil.example`. Refuse
 * any Host that does not name loopback. A request without Host (HTTP/1.0) passes.
 */
export function checkHost(request: IncomingMessage, config: GuardConfig): Refusal | undefined {
  if (!config.loopbackBind) return undefined;
  const host = request.headers.host;
  if (host === undefined || host === '') return undefined;
  if (isLoopbackHost(hostOfHeader(host))) return undefined;
  return {
    status: 403,
    code: 'host_not_allowed',
    message: 'this server listens on loopback only and refuses requests for other host names (DNS rebinding protection); connect to 127.0.0.1 or localhost',
  };
}

/** A browser sends Origin; a CLI does not. A present Origin must be on the allow-list. */
export function checkOrigin(request: IncomingMessage, config: GuardConfig): Refusal | undefined {
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  const normalized = normalizeOrigin(origin);
  if (config.allowOrigins.includes('*') || config.allowOrigins.includes(normalized)) return undefined;
  return {
    status: 403,
    code: 'origin_not_allowed',
    message: `requests from this web origin are not allowed; ${config.allowOriginHint ?? 'add it to the allowed origins of the server'} to allow it`,
  };
}

/** 401 when no credential was sent, 403 when it is wrong. The message never echoes the credential. */
export function checkCredentials(request: IncomingMessage, config: GuardConfig): Refusal | undefined {
  const result = config.checkAuth(request.headers, request.url);
  if (result === 'ok') return undefined;
  if (result === 'missing') {
    return { status: 401, code: 'unauthorized', message: `an API key is required: send it as ${config.apiKeyHeader ?? 'X-API-Key'}, as Authorization: Bearer, or as ?token=` };
  }
  return { status: 403, code: 'forbidden', message: 'the API key is not valid for this server' };
}

/** Host, then Origin, then credentials: the first refusal, if any. */
export function guardRequest(request: IncomingMessage, config: GuardConfig): Refusal | undefined {
  return checkHost(request, config) ?? checkOrigin(request, config) ?? checkCredentials(request, config);
}

const reasons: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  426: 'Upgrade Required',
  503: 'Service Unavailable',
};

/** A complete HTTP/1.1 response for a refused upgrade, written on the raw socket. */
export function formatRefusalResponse(refusal: Refusal, extraHeaders: Record<string, string> = {}): string {
  const body = JSON.stringify({ error: refusal.code, message: refusal.message });
  const headers = {
    Connection: 'close',
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
    ...extraHeaders,
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\r\n');
  return `HTTP/1.1 ${refusal.status} ${reasons[refusal.status] ?? 'Error'}\r\n${head}\r\n\r\n${body}`;
}
