import type { Clock } from './clock.js';

/**
 * The one injected value through which every byte reaches the terminal, and
 * through which commands read the clock, the environment and signals. Only
 * `systemIO()` touches process globals; tests build their own with
 * `createTestIO()` (test/helpers/test-io.ts).
 */

/** A writable end: stdout or stderr. `write` returns false when the caller should wait for 'drain'. */
export interface OutputStream {
  write(chunk: string | Uint8Array): boolean;
  readonly isTTY: boolean;
  /** Terminal width in columns, when a terminal. */
  readonly columns: number | undefined;
  /** Terminal height in rows, when a terminal. */
  readonly rows: number | undefined;
  on(event: 'drain' | 'resize' | 'error' | 'close', listener: (...args: any[]) => void): unknown;
  off(event: 'drain' | 'resize' | 'error' | 'close', listener: (...args: any[]) => void): unknown;
  once(event: 'drain' | 'close' | 'error', listener: (...args: any[]) => void): unknown;
  /** Bytes accepted by `write` but not yet flushed to the OS. */
  readonly writableLength: number;
  /**
   * true: `write` hands the bytes to the OS before it returns (stdout is a file or a device such as
   * /dev/null, which Node writes synchronously), so the caller's memory is its own again at once.
   */
  readonly writesAtOnce?: boolean;
}

/** The readable end: piped NDJSON or, on a terminal, keypresses. */
export interface InputStream extends AsyncIterable<Buffer | string> {
  readonly isTTY: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  resume(): unknown;
  pause(): unknown;
  setEncoding?(encoding: BufferEncoding): unknown;
}

export type SignalName = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

export interface IO {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly stdin: InputStream;
  /** Environment variables (HANGAR_URL, HANGAR_API_KEY, NO_COLOR, FORCE_COLOR, ...). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Wall clock in milliseconds since the Unix epoch (the same as clock.now()). */
  now(): number;
  /** Monotonic clock in milliseconds, for durations and rates (the same as clock.monotonicMs()). */
  monotonicMs(): number;
  /** The clocks and timers (src/io/clock.ts): code that waits takes this, so tests can step time. */
  readonly clock: Clock;
  /** Registers a signal handler; returns a function that removes it. */
  onSignal(signal: SignalName, handler: () => void): () => void;
  /** Working directory, for resolving relative file paths. */
  readonly cwd: string;
}
