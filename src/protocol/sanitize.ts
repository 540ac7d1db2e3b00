/**
 * Makes peer-supplied text safe to print on a terminal. An event can carry
 * escape sequences (colors, cursor moves, OSC 52 clipboard writes, window
 * titles) in any string; none of them may reach the terminal.
 */

/**
 * Characters that print as nothing, derived from Unicode's properties rather
 * than listed by hand: every Default_Ignorable_Code_Point (zero-width spaces
 * and joiners, word joiner, soft hyphen, combining grapheme joiner, Hangul
 * fillers, the deprecated format characters U+206A-206F, unassigned
 * ignorables) and every format character (Cf: bidi marks, BOM, interlinear
 * annotation U+FFF9-FFFB, musical format U+1D173-1D17A, tag characters
 * U+E0000-E007F). They make `ma\u200bth` look like `math`, so they are shown
 * as visible escapes instead of being passed or silently dropped. Variation
 * selectors are the one exception: they choose how the character before them
 * looks (the emoji form of a heart, a CJK variant), so they are kept with it.
 */
const INVISIBLE = '[[\\p{Default_Ignorable_Code_Point}\\p{Cf}]--\\p{Variation_Selector}]';

/**
 * Anything that needs work: C0 controls (incl. ESC, newline, tab), DEL, C1
 * controls, the Unicode line/paragraph separators and the invisible set above
 * (which holds the bidirectional overrides and isolates that reorder text,
 * "Trojan Source"). One precompiled test keeps the common case fast; the
 * global twin finds each one in turn.
 */
const SPECIAL = `[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029${INVISIBLE}]`;
/** Compiled on first use (about 0.7 ms: not paid by a start that prints nothing from a peer, such as `--help`). */
let needsWorkPattern: RegExp | undefined;
let nextSpecialPattern: RegExp | undefined;
const needsWork = { test: (text: string): boolean => (needsWorkPattern ??= new RegExp(SPECIAL, 'v')).test(text) };

const ESC = 0x1b;
const BEL = 0x07;

/**
 * Returns `text` without control characters and escape sequences: CSI
 * (`ESC [ ... final`, and 8-bit 0x9b), OSC/DCS/SOS/PM/APC strings up to their
 * terminator (BEL or `ESC \`, or the 8-bit forms), two-byte `ESC x`
 * sequences, other C0/C1 controls, DEL and bidi overrides and isolates. A
 * newline becomes the visible `\n`, a carriage return `\r`, a tab a space, so
 * one value stays on one line; invisible characters become visible escapes
 * (`\u200b`, `\u{e0041}` beyond the BMP; see INVISIBLE). Printable unicode is
 * kept. Returns `text` itself when there is nothing to strip.
 */
export function stripControl(text: string): string {
  if (!needsWork.test(text)) return text;
  let out = '';
  let start = 0; // start of the pending run of plain characters
  const length = text.length;
  const nextSpecial = (nextSpecialPattern ??= new RegExp(SPECIAL, 'gv'));
  nextSpecial.lastIndex = 0;
  for (let match = nextSpecial.exec(text); match !== null; match = nextSpecial.exec(text)) {
    let i = match.index;
    const code = match[0].codePointAt(0)!;
    if (i > start) out += text.slice(start, i);
    if (code === 0x0a || code === 0x2028 || code === 0x2029) {
      // Unicode line and paragraph separators: a line break to some viewers and JSON tools.
      out += '\\n';
      i++;
    } else if (code === 0x0d) {
      out += '\\r';
      i++;
    } else if (code === 0x09) {
      out += ' ';
      i++;
    } else if ((code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)) {
      i++; // bidi overrides and isolates reorder what follows: dropped
    } else if (code === ESC) {
      i = skipEscape(text, i + 1);
    } else if (code === 0x9b) {
      i = skipCsi(text, i + 1);
    } else if (code === 0x9d || code === 0x90 || code === 0x98 || code === 0x9e || code === 0x9f) {
      i = skipString(text, i + 1);
    } else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      i++;
    } else if (code > 0xffff) {
      out += `\\u{${code.toString(16)}}`;
      i += 2;
    } else {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
      i++;
    }
    start = i;
    nextSpecial.lastIndex = i;
  }
  if (start === 0) return text;
  if (start < length) out += text.slice(start);
  return out;
}

/** `i` is just after ESC; returns the index after the whole sequence. */
function skipEscape(text: string, i: number): number {
  if (i >= text.length) return i;
  const next = text.charCodeAt(i);
  switch (next) {
    case 0x5b: // [
      return skipCsi(text, i + 1);
    case 0x5d: // ]  OSC
    case 0x50: // P  DCS
    case 0x58: // X  SOS
    case 0x5e: // ^  PM
    case 0x5f: // _  APC
      return skipString(text, i + 1);
    default: {
      // nF escape: intermediates 0x20-0x2f, then one final byte 0x30-0x7e.
      let j = i;
      while (j < text.length && text.charCodeAt(j) >= 0x20 && text.charCodeAt(j) <= 0x2f) j++;
      if (j < text.length && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x7e) return j + 1;
      // A lone ESC followed by something else: drop the ESC only.
      return j;
    }
  }
}

/** CSI: parameter bytes 0x30-0x3f, intermediates 0x20-0x2f, one final byte 0x40-0x7e. */
function skipCsi(text: string, i: number): number {
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c >= 0x40 && c <= 0x7e) return j + 1;
    if (c < 0x20 || c > 0x3f) return j; // malformed: stop at the first byte that cannot belong to it
    j++;
  }
  return j;
}

/** OSC/DCS/SOS/PM/APC: everything up to BEL, ST (`ESC \`) or 8-bit ST (0x9c). Unterminated: to the end. */
function skipString(text: string, i: number): number {
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === BEL || c === 0x9c) return j + 1;
    if (c === ESC) return j + 1 < text.length && text.charCodeAt(j + 1) === 0x5c ? j + 2 : j + 1;
    j++;
  }
  return j;
}

/**
 * `stripControl` for text that is several lines on purpose (an error message
 * with a hint on its own line): each line is sanitised, the line breaks
 * between them are kept. Every other path to a terminal uses `stripControl`.
 */
export function stripControlLines(text: string): string {
  if (!needsWork.test(text)) return text;
  return text.split('\n').map(stripControl).join('\n');
}

/**
 * Peer-supplied text for a one-line message or log (a bad input line, a
 * server's error message): the one sanitizer (stripControl), then cut at
 * `maxChars` with `...`.
 */
export function sanitizeForLog(text: string, maxChars = 200): string {
  const clean = stripControl(text);
  return clean.length > maxChars ? `${clean.slice(0, maxChars - 3)}...` : clean;
}

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

/**
 * What a terminal must not get raw inside a JSON text: DEL, the C1 controls
 * (U+009B is a CSI to some terminals), the line separators and the invisible
 * set. None of them is JSON whitespace, so in valid JSON they stand only
 * inside strings, where `\uXXXX` means the same character.
 */
const JSON_TERMINAL_SPECIAL = `[\\u007f-\\u009f\\u2028\\u2029${INVISIBLE}]`;
let jsonTerminalPattern: RegExp | undefined;

/**
 * Valid JSON text made safe for a terminal without changing what it parses
 * to: each character above written as its `\uXXXX` escape (a pair of them
 * beyond the BMP). JSON itself cannot hold raw C0 controls (ESC included)
 * inside strings, so the rest of the text prints as it is.
 */
export function escapeJsonForTerminal(json: string): string {
  const pattern = (jsonTerminalPattern ??= new RegExp(JSON_TERMINAL_SPECIAL, 'gv'));
  pattern.lastIndex = 0;
  if (!pattern.test(json)) return json;
  pattern.lastIndex = 0;
  return json.replace(pattern, (character) => {
    let out = '';
    for (let i = 0; i < character.length; i++) out += `\\u${character.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return out;
  });
}
