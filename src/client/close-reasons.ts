import { stripControl } from '../protocol/sanitize.js';
import type { ClientHints } from './hints.js';

/**
 * How a connection that failed below HTTP is worded, one rule for every
 * client of the project (the event stream, publish, the fleet snapshot, the
 * approvals client): `connection refused (is the server running?)`, `host
 * not found`, `connection reset`, `no answer within 10s`; anything else as
 * Node words it, sanitized.
 */

/** Node error codes worded by describeSocketError (anything else is shown as its message). */
const KNOWN_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT']);

/**
 * What a socket error means, in words. `server` names what should be
 * listening, for the refused case (`the server`, `'hangar-events serve'`).
 */
export function describeSocketError(error: unknown, server = 'the server'): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNREFUSED') return `connection refused (is ${server} running?)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ECONNRESET') return 'connection reset';
  return stripControl(error instanceof Error ? error.message : String(error));
}

/** Whether describeSocketError words this error itself (else the error is worth keeping as a cause). */
export function isKnownSocketError(error: unknown): boolean {
  return KNOWN_CODES.has((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** A refused upgrade status that retrying cannot fix (4xx but 408 and 429). */
export function isPermanentStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** The peer's close reason (at most 123 bytes on the wire) as safe, printable text. */
export function closeReasonText(reason: Buffer): string {
  return stripControl(reason.toString('utf8')).slice(0, 120);
}

/** How one connection ended, as the classification below needs it. */
export interface ClosedConnection {
  /** Why the client gave up on a silent server, if it did. */
  readonly deadReason: string | undefined;
  /** The HTTP status of a refused upgrade. */
  readonly handshakeStatus: number | undefined;
  readonly opened: boolean;
  /** Frames received on it. */
  readonly frames: number;
  readonly lastError: Error | undefined;
}

/** Why a connection ended, in words: the liveness verdict, a refused upgrade, a socket error, a drop, or the server's close code and reason. */
export function describeClose(conn: ClosedConnection, code: number, reason: string): string {
  if (conn.deadReason) return conn.deadReason;
  if (conn.handshakeStatus !== undefined) return `the server answered HTTP ${conn.handshakeStatus} instead of a WebSocket upgrade`;
  if (!conn.opened) return conn.lastError ? describeSocketError(conn.lastError) : 'the connection failed';
  if (code === 1006) return 'the connection dropped';
  return `the server closed the connection (code ${code}${reason ? `: ${reason}` : ''})`;
}

/**
 * Why the server refused the credential (401/403 on the upgrade, or a policy
 * close 1008 before the server said anything), with advice; undefined when
 * the close was something else. `credentialsSent` picks the advice.
 */
export function describeAuthFailure(
  conn: ClosedConnection,
  code: number,
  reason: string,
  where: { readonly url: string; readonly credentialsSent: boolean; readonly hints: Pick<ClientHints, 'checkKey' | 'giveKey' | 'bearer'> },
): string | undefined {
  const { hints } = where;
  const advice = where.credentialsSent
    ? `the credential was refused: ${hints.checkKey} (and ${hints.bearer} if the server expects Authorization: Bearer)`
    : `no credential was sent: ${hints.giveKey} (add ${hints.bearer} for Authorization: Bearer)`;
  if (conn.handshakeStatus === 401 || conn.handshakeStatus === 403) {
    const text = conn.handshakeStatus === 401 ? 'Unauthorized' : 'Forbidden';
    return `authentication failed: ${where.url} answered HTTP ${conn.handshakeStatus} ${text}; ${advice}`;
  }
  if (code === 1008 && conn.frames === 0) {
    const why = reason ? ` (${reason})` : '';
    return `authentication failed: ${where.url} closed the connection with code 1008 (policy violation)${why} during the handshake; ${advice}`;
  }
  return undefined;
}
