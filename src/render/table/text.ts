/**
 * Text helpers of the table renderer: peer strings made safe (the shared
 * sanitizer), truncation and padding by visible width (ANSI-free input).
 */

import { stripControl } from '../sanitize.js';

export { stripControl };

/** A peer string made safe for a terminal cell, bounded in length (`maxLength` code points). */
export function cleanLabel(value: unknown, maxLength = 80): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cleaned = stripControl(value);
  if (cleaned.length === 0) return undefined;
  // UTF-16 length bounds the code point count: most labels need no split.
  if (cleaned.length <= maxLength) return cleaned;
  const points = [...cleaned];
  return points.length > maxLength ? points.slice(0, maxLength).join('') : cleaned;
}

/** Visible width of plain (ANSI-free) text, counting code points. */
export function visibleWidth(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Cuts plain text to at most `width` columns, marking the cut with an ellipsis. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  const points = [...text];
  if (points.length <= width) return text;
  if (width === 1) return '…';
  return points.slice(0, width - 1).join('') + '…';
}

/** Pads plain text with spaces to exactly `width` columns (truncating when longer). */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const cut = truncate(text, width);
  const pad = ' '.repeat(Math.max(0, width - visibleWidth(cut)));
  return align === 'left' ? cut + pad : pad + cut;
}
