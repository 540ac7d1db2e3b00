import type { IO } from '../io/io.js';
import { stripControl } from '../protocol/sanitize.js';

export type LogFormat = 'pretty' | 'json';

/** serve's operator log on stderr: one short line per happening. */
export interface ServerLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}


/**
 * A log that writes to `io.stderr`: `pretty` is the message alone (with a
 * `warning:` prefix for warnings); `json` is one object per line with time,
 * level, message and fields. Messages and string fields quote peers (close
 * reasons, bad input lines), so both formats pass them through the one
 * sanitizer: JSON escapes C0 controls but would let C1 controls and bidi
 * overrides reach a terminal raw.
 */
export function createServerLog(io: IO, format: LogFormat): ServerLog {
  const write = (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => {
    if (format === 'json') {
      io.stderr.write(`${JSON.stringify({ time: new Date(io.now()).toISOString(), level, msg: stripControl(message), ...cleanFields(fields) })}\n`);
    } else {
      io.stderr.write(`${level === 'warn' ? 'warning: ' : ''}${stripControl(message)}\n`);
    }
  };
  return {
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
  };
}

function cleanFields(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!fields) return fields;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) out[stripControl(key)] = typeof value === 'string' ? stripControl(value) : value;
  return out;
}

/** A log that discards everything (embedding, tests). */
export const silentLog: ServerLog = { info() {}, warn() {} };
