import { charWidth } from './table/text.js';

const SGR = /\x1b\[[0-9;]*m/y;
const RESET = '\x1b[0m';

/**
 * Cuts a rendered line (which may carry our own color codes; peer strings
 * were stripped of theirs) to `width` terminal columns, ending a cut line
 * with `…` and, when colors were open, a reset so nothing bleeds into the
 * next line. Color codes take no column. A line that fits is returned as is.
 */
export function fitLine(line: string, width: number): string {
  if (!Number.isFinite(width) || width <= 0) return line;
  // Fast path: a line shorter than the width (in UTF-16 units) always fits.
  if (line.length <= width) return line;
  let used = 0;
  let colored = false;
  let i = 0;
  let cutAt = -1;
  while (i < line.length) {
    if (line.charCodeAt(i) === 0x1b) {
      SGR.lastIndex = i;
      const match = SGR.exec(line);
      if (match) {
        colored = true;
        i += match[0].length;
        continue;
      }
    }
    const point = line.codePointAt(i)!;
    const char = String.fromCodePoint(point);
    const w = charWidth(char);
    // Keep one column for the ellipsis, remembering where it would go.
    if (cutAt < 0 && used + w > width - 1) cutAt = i;
    used += w;
    if (used > width) return `${line.slice(0, cutAt)}…${colored ? RESET : ''}`;
    i += char.length;
  }
  return line;
}
