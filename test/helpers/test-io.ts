import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { systemClock, type Clock } from '../../src/io/clock.js';
import type { IO, InputStream, OutputStream, SignalName } from '../../src/io/io.js';
import { FakeClock } from './fake-clock.js';

/** A captured output stream that can pretend to be a terminal. */
export class CapturedStream extends EventEmitter implements OutputStream {
  readonly chunks: string[] = [];
  writableLength = 0;
  constructor(
    public isTTY: boolean,
    public columns: number | undefined,
    public rows: number | undefined,
  ) {
    super();
  }
  write(chunk: string | Uint8Array): boolean {
    this.chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    this.emit('written');
    return true;
  }
  text(): string {
    return this.chunks.join('');
  }
  lines(): string[] {
    return this.text().split('\n').filter((l) => l.length > 0);
  }
  /** Simulates a terminal resize. */
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

export interface TestIOOptions {
  stdoutTTY?: boolean;
  stderrTTY?: boolean;
  stdinTTY?: boolean;
  columns?: number;
  rows?: number;
  env?: Record<string, string | undefined>;
  /** Initial wall clock (ms since epoch). Default 2026-11-26T12:00:00Z. */
  nowMs?: number;
  cwd?: string;
}

export interface TestIO extends IO {
  readonly stdout: CapturedStream;
  readonly stderr: CapturedStream;
  readonly stdin: PassThrough & InputStream;
  /** The injected clock: it moves only when the test steps it. */
  readonly clock: FakeClock;
  /** Moves the injected clock forward, firing the timers that fall due (clock.advance). */
  advance(ms: number): void;
  /** Delivers a signal to the registered handlers. */
  emitSignal(signal: SignalName): void;
  /** Handlers currently registered per signal (to check they are removed). */
  signalHandlerCount(signal: SignalName): number;
}

/** An IO for tests: captured stdout/stderr, a controllable clock and signals. */
export function createTestIO(options: TestIOOptions = {}): TestIO {
  const clock = new FakeClock(options.nowMs !== undefined ? { nowMs: options.nowMs } : {});
  const handlers = new Map<SignalName, Set<() => void>>();
  const stdin = new PassThrough() as PassThrough & InputStream & { isTTY: boolean };
  (stdin as { isTTY: boolean }).isTTY = options.stdinTTY ?? false;
  if (options.stdinTTY) (stdin as unknown as { setRawMode: (m: boolean) => void }).setRawMode = () => {};
  return {
    stdout: new CapturedStream(options.stdoutTTY ?? false, options.stdoutTTY ? (options.columns ?? 100) : undefined, options.stdoutTTY ? (options.rows ?? 30) : undefined),
    stderr: new CapturedStream(options.stderrTTY ?? false, options.stderrTTY ? (options.columns ?? 100) : undefined, options.stderrTTY ? (options.rows ?? 30) : undefined),
    stdin,
    env: { ...(options.env ?? {}) },
    now: () => clock.now(),
    monotonicMs: () => clock.monotonicMs(),
    clock,
    onSignal(signal, handler) {
      let set = handlers.get(signal);
      if (!set) handlers.set(signal, (set = new Set()));
      set.add(handler);
      return () => set.delete(handler);
    },
    cwd: options.cwd ?? process.cwd(),
    advance(ms) {
      clock.advance(ms);
    },
    emitSignal(signal) {
      for (const handler of [...(handlers.get(signal) ?? [])]) handler();
    },
    signalHandlerCount(signal) {
      return handlers.get(signal)?.size ?? 0;
    },
  };
}

/** A test IO whose clock is the real one: no `advance`, its timers fire by themselves. */
export interface RealClockTestIO extends Omit<TestIO, 'clock' | 'advance'> {
  readonly clock: Clock;
}

/**
 * Captured streams and signals as createTestIO, on the real clock
 * (Date.now, performance.now and Node's timers), for a server that real
 * clients talk to over real sockets and whose keep-alive, expiry and chaos
 * timers must run on their own.
 */
export function createRealClockIO(options: Omit<TestIOOptions, 'nowMs'> = {}): RealClockTestIO {
  const { clock: _fake, advance: _advance, ...io } = createTestIO(options);
  const clock = systemClock();
  return { ...io, clock, now: () => clock.now(), monotonicMs: () => clock.monotonicMs() };
}
