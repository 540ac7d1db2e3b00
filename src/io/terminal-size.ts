import type { IO, OutputStream } from './io.js';

/** The size assumed when neither the terminal nor the environment gives one. */
export const DEFAULT_COLUMNS = 80;
export const DEFAULT_ROWS = 24;

/** A terminal's size in character cells; both always at least 1. */
export interface TerminalSize {
  readonly columns: number;
  readonly rows: number;
}

/**
 * The size to draw for, per dimension: what the terminal reports when it is
 * a positive number, else `COLUMNS`/`LINES` from the environment, else 80x24.
 * A terminal that reports 0 (a pty whose size was never set: `script` fed
 * from a pipe, serial consoles, `docker exec -t` before the size arrives)
 * must not make a renderer divide by zero or truncate every line to nothing.
 */
export function terminalSize(stream: Pick<OutputStream, 'columns' | 'rows'>, env: Readonly<Record<string, string | undefined>>): TerminalSize {
  return {
    columns: positive(stream.columns) ?? positive(parseCount(env.COLUMNS)) ?? DEFAULT_COLUMNS,
    rows: positive(stream.rows) ?? positive(parseCount(env.LINES)) ?? DEFAULT_ROWS,
  };
}

/**
 * Whether a live view (the table, the console, top) can be redrawn in place:
 * stdout is a terminal that understands cursor movement (not TERM=dumb).
 * Otherwise plain snapshots.
 */
export function canDrawLive(io: Pick<IO, 'stdout' | 'env'>): boolean {
  return io.stdout.isTTY && io.env.TERM !== 'dumb';
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : undefined;
}

function parseCount(text: string | undefined): number | undefined {
  return text !== undefined && /^\s*\d{1,5}\s*$/.test(text) ? Number(text) : undefined;
}
