/**
 * Typed errors. Code below `cli/main` throws these and never exits; `cli/main`
 * alone maps them to exit codes (see `exitCodeFor` there). Messages say what happened,
 * what it means and what to do, and never contain a credential.
 */

/** Bad flags, arguments or values: exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The server refused our credentials (HTTP 401/403, close 1008 at the handshake): exit 4, never retried. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
}

/** `--timeout` elapsed before the wanted count of events: exit 124. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * `--timeout` elapsed and tail never got connected (server down, wrong address,
 * still retrying): exit 3, so a script can tell it from "connected, but the
 * event did not happen" (124).
 */
export class NotConnectedError extends Error {
  override readonly name = 'NotConnectedError';
}

/**
 * A connection that cannot work as configured, so it is not retried: the TLS
 * certificate is not trusted, the port speaks no TLS, or the upgrade is
 * redirected: exit 5. The message says what to change (--ca, --insecure, the URL).
 */
export class PermanentConnectionError extends Error {
  override readonly name = 'PermanentConnectionError';
}

/**
 * An approval is no longer pending: it was already approved or denied, or it
 * expired (HTTP 409 to a resolve): exit 7, so a script tells "someone else
 * (or the clock) decided" from a refusal (4) or a missing approval (1). The
 * message says the state it has and, when the gateway says, by whom.
 */
export class AlreadyDecidedError extends Error {
  override readonly name = 'AlreadyDecidedError';
}

/** Could not connect (after retries) or lost the connection for good: exit 1. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
}

/** Any other runtime failure the user can act on (unreadable file, port in use): exit 1. */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
}

/**
 * The event store (--store) could not be read: missing, not a store of the
 * expected schema, locked, unreachable, refused the credentials, or its driver
 * is not installed: exit 6, so a script tells "the store is wrong" from "the
 * gateway is down". The message names what was tried (never a password) and
 * what to check.
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';

  /** `locked`: another process holds the store for now (SQLite's lock); reading again later may work. */
  constructor(
    message: string,
    readonly condition: 'locked' | undefined = undefined,
  ) {
    super(message);
  }
}

/** A one-line (plus causes) description of an error for stderr, without stack traces. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  let text = error.message;
  let cause: unknown = error.cause;
  for (let depth = 0; cause !== undefined && depth < 4; depth++) {
    const message = cause instanceof Error ? cause.message : String(cause);
    if (message && !text.includes(message)) text += `: ${message}`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return text;
}
