import { performance } from 'node:perf_hooks';

/**
 * The one polling helper of the suite: for what cannot tell us when it
 * changes (a tmux pane, a server's counters, a file). It waits for a
 * condition, never for a time; the deadline only bounds a test that would
 * otherwise hang, and the failure says what was awaited and what was seen.
 */

export interface PollOptions<T> {
  /** What is awaited, for the failure message. */
  readonly what: string;
  readonly timeoutMs?: number;
  /** How often to look again. */
  readonly everyMs?: number;
  /** The last value as the failure shows it (default: nothing more). */
  readonly show?: (last: T) => string;
}

/** Reads `read()` until `accept` holds for its value; resolves with that value. */
export async function pollFor<T>(read: () => T | Promise<T>, accept: (value: T) => boolean, options: PollOptions<T>): Promise<T> {
  const { what, timeoutMs = 15_000, everyMs = 20, show } = options;
  const started = performance.now();
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (performance.now() - started > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${show ? `; last seen:\n${show(value)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Resolves once `condition` holds. */
export async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000, everyMs = 20): Promise<void> {
  await pollFor(condition, (held) => held, { what, timeoutMs, everyMs });
}
