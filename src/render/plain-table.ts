import Table from 'cli-table3';

/**
 * Tables printed once (`types`, `context list`, `approvals list`, `top` in a
 * pipe): cli-table3 without borders, columns two spaces apart, as `kubectl
 * get` prints them, so they grep and awk. The live table and the console keep
 * their own renderer (they drop columns by priority to fit the screen).
 */

export interface PlainTableOptions {
  /** Header cells (already painted), or none. */
  readonly head?: readonly string[];
  /** Per column; left by default. */
  readonly colAligns?: readonly ('left' | 'right')[];
  /** Spaces before every line (a table under a heading). */
  readonly indent?: number;
}

/** An empty borderless table; push rows, then print it with `plainTableText`. */
export function plainTable(options: PlainTableOptions = {}): Table.Table {
  const left = ' '.repeat(options.indent ?? 0);
  return new Table({
    head: [...(options.head ?? [])],
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
      bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left, 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    ...(options.colAligns === undefined ? {} : { colAligns: [...options.colAligns] }),
  });
}

/** The table's lines without the padding cli-table3 leaves after the last column. */
export function plainTableLines(table: Table.Table): string[] {
  const text = table.toString();
  return text === '' ? [] : text.split('\n').map((line) => line.replace(/\s+$/u, ''));
}
