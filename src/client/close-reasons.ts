import { stripControl } from '../protocol/sanitize.js';

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
