/**
 * Text helpers of the table renderer: control-character stripping for peer
 * strings, truncation and padding by visible width (ANSI-free input).
 */

// ESC-introduced sequences (CSI, OSC, two-byte escapes), then any remaining C0/C1 control or DEL.
// eslint-disable-next-line no-control-regex
const escapeSequence = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g;
// eslint-disable-next-line no-control-regex
const controlChar = /[\x00-\x1f\x7f-\x9f]/g;

/** Removes terminal escape sequences and control characters from a string that came from the network. */
export function stripControl(text: string): string {
  return text.replace(escapeSequence, '').replace(controlChar, '');
}

/** A peer string made safe for a terminal cell, bounded in length (`maxLength` code points). */
export function cleanLabel(value: unknown, maxLength = 80): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cleaned = stripControl(value);
  if (cleaned.length === 0) return undefined;
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
