import type { IO } from '../io/io.js';

export type LogFormat = 'pretty' | 'json';

/** serve's operator log on stderr: one short line per happening. */
export interface ServerLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** Strips control characters so peer-supplied text cannot move the cursor or change colours. */
export function stripControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
}

/**
 * A log that writes to `io.stderr`: `pretty` is the message alone (with a
 * `warning:` prefix for warnings); `json` is one object per line with time,
 * level, message and fields.
 */
export function createServerLog(io: IO, format: LogFormat): ServerLog {
  const write = (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => {
    if (format === 'json') {
      io.stderr.write(`${JSON.stringify({ time: new Date(io.now()).toISOString(), level, msg: message, ...fields })}\n`);
    } else {
      io.stderr.write(`${level === 'warn' ? 'warning: ' : ''}${stripControl(message)}\n`);
    }
  };
  return {
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
  };
}

/** A log that discards everything (embedding, tests). */
export const silentLog: ServerLog = { info() {}, warn() {} };
