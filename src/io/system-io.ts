import { fstatSync } from 'node:fs';
import { isatty } from 'node:tty';
import { systemClock } from './clock.js';
import type { IO, InputStream, OutputStream, SignalName } from './io.js';
import { terminalSize } from './terminal-size.js';

/** The real IO: the process's streams, environment, clock and signals. */
export function systemIO(): IO {
  // A closed pipe on stdout (`| head`) is a normal end, not a crash: the
  // error is surfaced to listeners (tail stops quietly) instead of being thrown.
  process.stdout.on('error', () => {});
  const clock = systemClock();
  return {
    stdout: sized(process.stdout),
    stderr: sized(process.stderr),
    // Made when first asked for (the table's keys, publish, serve --stdin): Node builds process.stdin on
    // first access, a file stream when stdin is /dev/null (~2-4 ms), and most commands never read it.
    get stdin() {
      return process.stdin as unknown as InputStream;
    },
    env: process.env,
    now: () => clock.now(),
    monotonicMs: () => clock.monotonicMs(),
    clock,
    onSignal(signal: SignalName, handler: () => void) {
      process.on(signal, handler);
      return () => {
        process.off(signal, handler);
      };
    },
    cwd: process.cwd(),
  };
}

/**
 * The stream itself (libraries such as ora get it and write to it), except
 * that on a terminal `columns` and `rows` are never 0 or missing: a pty whose
 * size was never set reports 0, which makes line counts divide by zero (a
 * spinner redrawing in a hot loop) and tables truncate to nothing. See
 * terminalSize: COLUMNS/LINES, else 80x24.
 */
function sized(stream: NodeJS.WriteStream): OutputStream {
  const atOnce = writesAtOnce(stream);
  if (!stream.isTTY && !atOnce) return stream as unknown as OutputStream;
  return new Proxy(stream, {
    get(target, property) {
      if (property === 'writesAtOnce') return atOnce;
      if (property === 'columns' || property === 'rows') {
        const size = terminalSize({ columns: target.columns, rows: target.rows }, process.env);
        return property === 'columns' ? size.columns : size.rows;
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  }) as unknown as OutputStream;
}

/**
 * Whether Node writes `stream` synchronously: a file, or a character device
 * that is not a terminal (/dev/null), is a SyncWriteStream (libuv calls both
 * a file), whose `write` returns once the bytes reached the OS ("A note on
 * process I/O" in Node's documentation). Pipes and sockets may hold a write
 * to finish it later; terminals keep the Proxy for their size.
 */
function writesAtOnce(stream: NodeJS.WriteStream): boolean {
  const fd = (stream as { fd?: unknown }).fd;
  if (stream.isTTY || typeof fd !== 'number') return false;
  try {
    const stat = fstatSync(fd);
    return stat.isFile() || (stat.isCharacterDevice() && !isatty(fd));
  } catch {
    return false;
  }
}
