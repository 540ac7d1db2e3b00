import type { ColorScheme } from '../../io/color-level.js';
import type { TopView } from '../../aggregate/top-view.js';
import { plainTable, plainTableLines } from '../plain-table.js';
import { fit, truncate, visibleWidth } from '../table/text.js';
import { cellPaint, cellText, isFigure } from './cells.js';

/**
 * Pure renders of a top view: `renderTopTable` is the one-shot table `top`
 * prints in a pipe or with --once (cli-table3, no borders, so it greps and
 * awks); `renderTopColumns` lays the same view out in at most `width`
 * columns and `height` lines, for the screen `top` redraws and the console's
 * views.
 */

/** Longest a text cell gets in a one-shot table (messages are cut with an ellipsis). */
export const MAX_CELL_WIDTH = 60;

export interface TopTableOptions {
  readonly colors: ColorScheme;
  /** Ages are measured from here. */
  readonly asOfMs: number;
  /** At most this many rows (the rest is counted in a last line). */
  readonly maxRows: number;
}

/** Header line + rows, borderless, columns two spaces apart; no trailing spaces. */
export function renderTopTable(view: TopView, options: TopTableOptions): string {
  const { colors } = options;
  const table = plainTable({ head: view.columns.map((column) => column.header), colAligns: view.columns.map((column) => (isFigure(column) ? 'right' : 'left')) });
  const shown = view.rows.slice(0, options.maxRows);
  for (const row of shown) {
    table.push(
      view.columns.map((column) => {
        const value = row[column.id] ?? null;
        const text = truncate(cellText(column, value, options.asOfMs), MAX_CELL_WIDTH);
        const paint = cellPaint(column, value, colors);
        return paint ? paint(text) : text;
      }),
    );
  }
  const lines = plainTableLines(table);
  lines[0] = colors.bold(lines[0]!);
  const hidden = view.rows.length - shown.length;
  if (hidden > 0) lines.push(colors.dim(`(${hidden} more ${hidden === 1 ? 'row' : 'rows'}; -n ${view.rows.length} shows all)`));
  if (view.rows.length === 0) lines.push(colors.dim('(no rows yet)'));
  if (view.overflow > 0) lines.push(colors.dim(`(${view.overflow} events of groups beyond the row limit: counted in the totals, not listed)`));
  return lines.join('\n');
}

export interface TopColumnsOptions {
  readonly colors: ColorScheme;
  readonly asOfMs: number;
  readonly width: number;
  /** Lines for the header and the rows. */
  readonly height: number;
  /** Row index shown highlighted (the console's selection), if any. */
  readonly selected?: number | undefined;
  /** First row shown (the console scrolls); default 0. */
  readonly offset?: number | undefined;
}

/** Text columns are cut down to this width before the line is cut at the edge. */
const MIN_TEXT_WIDTH = 6;
const GAP = '  ';

/**
 * The view as a header line and rows fitted to the width: columns sized to
 * their content (text capped at 40), the widest text columns shrunk first
 * when the line is too wide, then the line cut at the edge. The sort column's
 * header is marked with an arrow.
 */
export function renderTopColumns(view: TopView, options: TopColumnsOptions): string[] {
  const { colors } = options;
  if (options.width <= 0 || options.height <= 0) return [];
  // A selection is marked by `> ` too, so it shows without color.
  const marked = options.selected !== undefined;
  const width = marked ? Math.max(0, options.width - 2) : options.width;
  const mark = (text: string, on: boolean) => (marked ? `${on ? '>' : ' '} ${text}` : text);
  const offset = Math.max(0, options.offset ?? 0);
  const visible = view.rows.slice(offset, offset + Math.max(0, options.height - 1));
  const cells = visible.map((row) => view.columns.map((column) => cellText(column, row[column.id] ?? null, options.asOfMs)));
  const headers = view.columns.map((column) => (column.id === view.sort ? `${column.header}${view.descending ? '↓' : '↑'}` : column.header));
  const widths = view.columns.map((column, i) => {
    let w = visibleWidth(headers[i]!);
    for (const row of cells) w = Math.max(w, visibleWidth(row[i]!));
    return isFigure(column) ? w : Math.min(w, 40);
  });
  let total = widths.reduce((sum, w) => sum + w, 0) + GAP.length * (widths.length - 1);
  while (total > width) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      if (!isFigure(view.columns[i]!) && widths[i]! > MIN_TEXT_WIDTH && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    }
    if (widest < 0) break;
    const cut = Math.min(total - width, widths[widest]! - MIN_TEXT_WIDTH);
    widths[widest] = widths[widest]! - cut;
    total -= cut;
  }
  const line = (texts: readonly string[], paint: (i: number, text: string) => string): string => {
    let out = '';
    let used = 0;
    for (let i = 0; i < texts.length && used < width; i++) {
      const gap = i === 0 ? '' : GAP;
      if (used + gap.length >= width) break;
      out += gap;
      used += gap.length;
      const cellWidth = Math.min(widths[i]!, width - used);
      const text = fit(texts[i]!, cellWidth, isFigure(view.columns[i]!) ? 'right' : 'left');
      out += paint(i, text);
      used += cellWidth;
    }
    return out.replace(/\s+$/u, '');
  };
  const lines = [colors.bold(mark(line(headers, (_, text) => text), false))];
  visible.forEach((row, r) => {
    const isSelected = options.selected === offset + r;
    if (isSelected) {
      // The selection is one inverse bar across the width; cell colors would break it.
      const text = line(cells[r]!, (_, t) => t);
      lines.push(colors.inverse(fit(mark(text, true), options.width)));
      return;
    }
    lines.push(
      mark(
        line(cells[r]!, (i, text) => {
          const paint = cellPaint(view.columns[i]!, row[view.columns[i]!.id] ?? null, colors);
          return paint && text.trim() !== '' ? paint(text) : text;
        }),
        false,
      ),
    );
  });
  return lines;
}
