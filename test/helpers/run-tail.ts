import { Command } from 'commander';
import { afterEach } from 'vitest';
import { registerTail } from '../../src/commands/tail/register.js';
import { runTail } from '../../src/commands/tail/tail.js';
import type { TailDeps } from '../../src/tail/run.js';
import type { TailOptions } from '../../src/commands/tail/options.js';
import { FRAME_INTERVAL_MS } from '../../src/tail/sinks/table-sink.js';
import { pollFor } from './eventually.js';
import { startFakeGateway, type FakeGateway } from './fake-gateway.js';
import { createRealClockIO, createTestIO, type RealClockTestIO, type TestIO, type TestIOOptions } from './test-io.js';

/** Fast knobs for in-process tails: quick backoff and serve detection. */
export const FAST: TailDeps = {
  // standStillMs off: these tails run on an injected clock that tests move by hand, which would look like a SIGSTOP.
  client: { backoff: { initialDelayMs: 50, maxDelayMs: 200, factor: 2, jitter: 0.5 }, serverDetectMs: 500, standStillMs: false },
};

export interface InProcessTail<I extends RealClockTestIO = TestIO> {
  io: I;
  /** Settles when the tail ends: resolves on a normal end, rejects with its typed error. */
  done: Promise<void>;
  options: () => TailOptions | undefined;
  /** Resolves once stdout (or stderr) contains a match. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<void>;
  /**
   * Resolves once stdout contains a match, stepping the injected clock one
   * frame at a time meanwhile: the live table redraws on that clock, so what
   * arrived over the socket is drawn only when a frame falls due.
   */
  waitForFrame(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Ends the tail like Ctrl-C and waits for it. */
  interrupt(): Promise<void>;
}

/** Runs `hangar-events tail <args>` in-process with a test IO (its clock moves when the test steps it), through the real flag parsing. */
export function startTail(args: string[], ioOptions: TestIOOptions = {}, deps: TailDeps = FAST): InProcessTail {
  return startTailOn(createTestIO(ioOptions), args, deps);
}

/** As startTail, on the real clock: for tests whose outages, drops and timers are real (the reliability tests). */
export function startRealClockTail(args: string[], ioOptions: Omit<TestIOOptions, 'nowMs'> = {}, deps: TailDeps = FAST): InProcessTail<RealClockTestIO> {
  return startTailOn(createRealClockIO(ioOptions), args, deps);
}

function startTailOn<I extends RealClockTestIO>(io: I, args: string[], deps: TailDeps): InProcessTail<I> {
  let parsed: TailOptions | undefined;
  const program = new Command('hangar-events').exitOverride();
  registerTail(program, io, (options, runIO) => {
    parsed = options;
    return runTail(options, runIO, deps);
  });
  program.commands.forEach((c) => c.exitOverride());
  const done = program.parseAsync(['tail', ...args], { from: 'user' }).then(() => undefined);
  done.catch(() => {});
  const waitFor = (stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const target = stream === 'stdout' ? io.stdout : io.stderr;
      const check = () => {
        if (pattern.test(target.text())) {
          cleanup();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${pattern} on ${stream}\nstdout:\n${io.stdout.text()}\nstderr:\n${io.stderr.text()}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        target.off('written', check);
      };
      target.on('written', check);
      check();
    });
  const waitForFrame = (pattern: RegExp, timeoutMs = 10_000) =>
    pollFor(
      () => {
        if (pattern.test(io.stdout.text())) return true;
        if ('advance' in io) (io as unknown as TestIO).advance(FRAME_INTERVAL_MS);
        return pattern.test(io.stdout.text());
      },
      (drawn) => drawn,
      { what: `a frame matching ${pattern}`, timeoutMs, show: () => `stdout:\n${io.stdout.text().slice(-4000)}\nstderr:\n${io.stderr.text()}` },
    ).then(() => undefined);
  return {
    io,
    done,
    options: () => parsed,
    waitFor,
    waitForFrame,
    async interrupt() {
      io.emitSignal('SIGINT');
      await done;
    },
  };
}

/**
 * Gateway-like servers and in-process tails for the calling test file; after
 * each test every tail gets Ctrl-C and every gateway is closed.
 */
export function useGatewayTails(): {
  gateway(options?: Parameters<typeof startFakeGateway>[0]): Promise<FakeGateway>;
  tail(...args: Parameters<typeof startTail>): InProcessTail;
} {
  const gateways: FakeGateway[] = [];
  const tails: InProcessTail[] = [];
  afterEach(async () => {
    for (const t of tails.splice(0)) {
      t.io.emitSignal('SIGINT');
      await t.done.catch(() => {});
    }
    for (const g of gateways.splice(0)) await g.close();
  });
  return {
    async gateway(options = {}) {
      const g = await startFakeGateway({ blindWindowMs: 60_000, ...options });
      gateways.push(g);
      return g;
    },
    tail(...args) {
      const t = startTail(...args);
      tails.push(t);
      return t;
    },
  };
}
