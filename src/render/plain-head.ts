import type { ColorScheme } from '../io/color-level.js';
import type { HangarEvent } from '../protocol/types.js';
import { severityOf, type Severity } from './event-severity.js';
import { formatTimeColumn, formatTypeAndServer, type LineContext } from './line.js';
import { View } from './plain-shape.js';
import { pushWords, sameWords, wordCount } from './byte-words.js';

/**
 * The head of a line read from a frame's bytes (plain-line.ts), without the
 * full path's work per event: the time from the digits of `occurred_at`, and
 * the pieces after it (`[SECURITY]`, the colored type, the bold server) kept
 * per (type, server) pair, as formatTypeAndServer wrote them the first time.
 */

/**
 * `occurred_at` (Unix seconds, the number text[s, e)) in whole milliseconds,
 * exactly what the full path's `Math.trunc(Number(text) * 1000)` gives, read
 * from its digits; -1 when the digits cannot tell (then the caller does what
 * the full path does). They tell for a number without sign or exponent below
 * 4e9 seconds whose fourth to sixth decimals are neither 000 nor 999: the
 * fraction of a millisecond is then in [0.001, 0.999), and the two roundings
 * of the full path (the parse, the product) move it by less than 0.0005 ms
 * (half an ulp of 4e9 s is 2.4e-4 ms, half an ulp of 4e12 ms is 2.4e-4 ms),
 * so the truncation lands on the same millisecond.
 */
export function exactMs(text: string, s: number, e: number): number {
  let i = s;
  let seconds = 0;
  for (; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    seconds = seconds * 10 + (c - 0x30);
  }
  if (i === s || i - s > 10 || seconds >= 4e9 || text.charCodeAt(i) !== 0x2e) return -1;
  let millis = 0;
  let next = 0;
  let decimals = 0;
  for (i++; i < e; i++, decimals++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1; // an exponent
    if (decimals < 3) millis = millis * 10 + (c - 0x30);
    else if (decimals < 6) next = next * 10 + (c - 0x30);
  }
  // Fewer than six decimals: the missing ones are zeros (under four: the fourth to sixth are 000).
  for (let d = decimals; d < 6; d++) next *= 10;
  if (next === 0 || next === 999) return -1;
  return seconds * 1000 + millis;
}

/** "000" to "999". */
const MILLIS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));

/**
 * The clock column of the second it was last made for (in its mode and colors):
 * formatTimeColumn's text is `head + the three millisecond digits + tail`
 * (`digits` false when its text is not that: then the column is formatTimeColumn's);
 * `millis`: the digits of each millisecond followed by `millisTail`, the tail they were made for.
 */
const clock = { second: Number.NaN, mode: '', colors: undefined as ColorScheme | undefined, head: '', tail: '', digits: false, millis: MILLIS, millisTail: '' };

/**
 * formatTimeColumn(ms, ctx) for whole milliseconds `ms` >= 0 (exactMs), in the
 * `local` and `utc` modes: kept per second, with the milliseconds put in.
 */
export function clockColumn(ms: number, ctx: LineContext): string {
  const second = Math.floor(ms / 1000);
  if (second !== clock.second || ctx.time !== clock.mode || ctx.colors !== clock.colors) makeClock(second, ctx);
  return clock.digits ? clock.head + clock.millis[ms - second * 1000]! : formatTimeColumn(ms, ctx);
}

/** The clock of `second`: formatTimeColumn at its first and last millisecond tells where the digits are. */
function makeClock(second: number, ctx: LineContext): void {
  const first = formatTimeColumn(second * 1000, ctx);
  const last = formatTimeColumn(second * 1000 + 999, ctx);
  let i = 0;
  while (i < first.length && first.charCodeAt(i) === last.charCodeAt(i)) i++;
  clock.second = second;
  clock.mode = ctx.time;
  clock.colors = ctx.colors;
  clock.head = first.slice(0, i);
  clock.tail = first.slice(i + 3);
  clock.digits = first.length === last.length && first.slice(i, i + 3) === '000' && last.slice(i, i + 3) === '999' && last.slice(i + 3) === clock.tail;
  // The digits with the tail, made once per tail (it changes with the mode and the colors, not with the second).
  if (clock.tail !== clock.millisTail) {
    clock.millisTail = clock.tail;
    clock.millis = MILLIS.map((digits) => digits + clock.tail);
  }
}

/** 10^0 to 10^22: every one exact in a double. */
const POWERS = Array.from({ length: 23 }, (_, n) => 10 ** n);

/**
 * Number(text[s, e)) for a JSON number (the scanner checked its grammar), read
 * from its digits when that is exact: at most 15 digits and no exponent. Its
 * digits are then an integer m below 2^53 and it is m / 10^d with d <= 15,
 * both exact doubles, so the division (rounded once, to nearest) is the
 * nearest double to the decimal, as Number gives. Else Number itself.
 */
export function numberOf(text: string, s: number, e: number): number {
  let i = s;
  const negative = text.charCodeAt(i) === 0x2d;
  if (negative) i++;
  let m = 0;
  let digits = 0;
  let point = -1;
  for (; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      m = m * 10 + (c - 0x30);
      digits++;
    } else if (c === 0x2e && point < 0) point = digits;
    else return Number(text.slice(s, e));
  }
  if (digits > 15 || digits === 0) return Number(text.slice(s, e));
  const value = point < 0 ? m : m / POWERS[digits - point]!;
  return negative ? -value : value;
}

/** A (type, server) pair seen before, with the head pieces written for it. */
export interface HeadEntry {
  /** Its id (1, 2, ...), as the WebAssembly scanner is taught it (MemberSpans.pairId). */
  readonly serial: number;
  /** The type's bytes, then the server's (as byte-words.ts compares them). */
  readonly words: Uint32Array;
  readonly typeLength: number;
  /** -1: no server (the head shows `-`). */
  readonly serverLength: number;
  readonly type: string;
  readonly server: string | undefined;
  /** The severity of the type alone (for a frame without severityOf's other fields), worked out on first use. */
  base: Severity | undefined;
  /** The pieces below are in these colors. */
  colors: ColorScheme | undefined;
  info: string | undefined;
  success: string | undefined;
  warning: string | undefined;
  error: string | undefined;
  security: string | undefined;
}

/** Bounded: a pair that finds its probes taken by other pairs replaces the first of them. */
export const HEAD_SLOTS = 512;
const HEAD_PROBES = 4;
const headTable: Array<HeadEntry | undefined> = new Array<HeadEntry | undefined>(HEAD_SLOTS).fill(undefined);
/** The entries by serial (a ring: an entry found again in the table is put back in it). */
const HEAD_RING = 1024;
const headRing: Array<HeadEntry | undefined> = new Array<HeadEntry | undefined>(HEAD_RING).fill(undefined);
let headSerial = 0;

/** The entry with id `id` (MemberSpans.pairId, not 0) while the ring holds it, else undefined. */
export function headEntryById(id: number): HeadEntry | undefined {
  const entry = headRing[id & (HEAD_RING - 1)];
  return entry !== undefined && entry.serial === id ? entry : undefined;
}

/** Puts `entry` back in the ring (found by its bytes: the scanner is taught its id again). */
export function keepHeadEntry(entry: HeadEntry): void {
  headRing[entry.serial & (HEAD_RING - 1)] = entry;
}

/**
 * The entry of the type in bytes[ts, te) and the server in bytes[ss, se)
 * (ss -1: none); both strings without escapes in an ASCII frame, so their
 * bytes are their text. `view` is dataViewOf(bytes).
 */
export function headEntryOf(bytes: Uint8Array, view: DataView, ts: number, te: number, ss: number, se: number): HeadEntry {
  const typeLength = te - ts;
  const serverLength = ss < 0 ? -1 : se - ss;
  let hash = typeLength * 31 + bytes[ts]! + bytes[ts + (typeLength >> 1)]! * 5 + bytes[te - 1]! * 3;
  if (serverLength > 0) hash = hash * 131 + serverLength * 17 + bytes[ss]! * 11 + bytes[ss + (serverLength >> 1)]! * 7 + bytes[se - 1]!;
  let slot = hash & (HEAD_SLOTS - 1);
  for (let probe = 0; probe < HEAD_PROBES; probe++) {
    const at = (hash + probe) & (HEAD_SLOTS - 1);
    const entry = headTable[at];
    if (entry === undefined) {
      slot = at;
      break;
    }
    if (entry.typeLength === typeLength && entry.serverLength === serverLength && samePair(entry, bytes, view, ts, ss)) return entry;
  }
  const words: number[] = [];
  pushWords(bytes, ts, typeLength, words);
  if (serverLength > 0) pushWords(bytes, ss, serverLength, words);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const serial = ++headSerial;
  return (headTable[slot] = headRing[serial & (HEAD_RING - 1)] = {
    serial,
    words: Uint32Array.from(words),
    typeLength,
    serverLength,
    type: text.toString('latin1', ts, te),
    server: serverLength < 0 ? undefined : text.toString('latin1', ss, se),
    base: undefined,
    colors: undefined,
    info: undefined,
    success: undefined,
    warning: undefined,
    error: undefined,
    security: undefined,
  });
}

/** Whether the type at ts and the server at ss (of the entry's lengths) are the entry's. */
function samePair(entry: HeadEntry, bytes: Uint8Array, view: DataView, ts: number, ss: number): boolean {
  const base = bytes.byteOffset;
  const words = entry.words;
  return sameRun(view, bytes, base, ts, entry.typeLength, words, 0) && (entry.serverLength <= 0 || sameRun(view, bytes, base, ss, entry.serverLength, words, wordCount(entry.typeLength)));
}

/** A value's run under 4 bytes may end the frame (no word can be read there): its bytes are compared alone. */
function sameRun(view: DataView, bytes: Uint8Array, base: number, s: number, length: number, words: Uint32Array, w: number): boolean {
  if (length >= 4) return sameWords(view, base + s, length, words, w);
  let word = 0;
  for (let k = length - 1; k >= 0; k--) word = word * 256 + bytes[s + k]!;
  return word === words[w];
}

/** A view with nothing but the type: the severity of the type alone. */
const typeAlone = new View();

/** The severity of an event with this entry's type and none of severityOf's other fields. */
export function baseSeverity(entry: HeadEntry): Severity {
  if (entry.base === undefined) {
    typeAlone.event_type = entry.type;
    entry.base = severityOf(typeAlone as unknown as HangarEvent);
    typeAlone.event_type = undefined;
  }
  return entry.base;
}

/** formatTypeAndServer of the entry's type and server in `severity` and `colors`, written once per entry, severity and colors. */
export function headPiece(entry: HeadEntry, severity: Severity, colors: ColorScheme): string {
  if (entry.colors !== colors) {
    entry.colors = colors;
    entry.info = entry.success = entry.warning = entry.error = entry.security = undefined;
  }
  switch (severity) {
    case 'info':
      return (entry.info ??= formatTypeAndServer(entry.type, entry.server, severity, colors));
    case 'success':
      return (entry.success ??= formatTypeAndServer(entry.type, entry.server, severity, colors));
    case 'warning':
      return (entry.warning ??= formatTypeAndServer(entry.type, entry.server, severity, colors));
    case 'error':
      return (entry.error ??= formatTypeAndServer(entry.type, entry.server, severity, colors));
    case 'security':
      return (entry.security ??= formatTypeAndServer(entry.type, entry.server, severity, colors));
  }
}
