import { performance } from 'node:perf_hooks';
import type { IO, InputStream, OutputStream, SignalName } from './io.js';

/** The real IO: the process's streams, environment, clock and signals. */
export function systemIO(): IO {
  // A closed pipe on stdout (`| head`) is a normal end, not a crash: the
  // error is surfaced to listeners (tail stops quietly) instead of being thrown.
  process.stdout.on('error', () => {});
  return {
    stdout: process.stdout as unknown as OutputStream,
    stderr: process.stderr as unknown as OutputStream,
    stdin: process.stdin as unknown as InputStream,
    env: process.env,
    now: () => Date.now(),
    monotonicMs: () => performance.now(),
    onSignal(signal: SignalName, handler: () => void) {
      process.on(signal, handler);
      return () => {
        process.off(signal, handler);
      };
    },
    cwd: process.cwd(),
  };
}
