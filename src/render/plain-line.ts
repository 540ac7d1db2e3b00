import type { ColorScheme } from '../io/color-level.js';
import { eventTimeMs } from '../protocol/event-time.js';
import type { HangarEvent } from '../protocol/types.js';
import { MEMBER_INTS, type MemberSpans } from '../protocol/plain-event.js';
import { stripControl } from '../protocol/sanitize.js';
import { serverIdentityFieldOf } from '../protocol/server-identity.js';
import { plural } from '../format/plural.js';
import { severityOf } from './event-severity.js';
import { formatCleanPairString, formatPairValue, truncate } from './fields.js';
import { BULKY_MAX_CHARS, CUT_ID_CHARS, formatBulky, formatHighlights, formatTimeColumn, formatTypeAndServer, type LineContext } from './line.js';
import { fitLine } from './line-fit.js';
import { baseSeverity, clockColumn, exactMs, headEntryById, headEntryOf, headPiece, keepHeadEntry, numberOf } from './plain-head.js';
import { setField, shapeOfFrame, type Key, type Shape, type View } from './plain-shape.js';
import { dataViewOf } from './byte-words.js';

/**
 * The default pretty line of a plain event frame (protocol/plain-event.ts),
 * read from the frame's bytes and the scanner's member spans instead of a
 * parsed object: byte for byte what `formatEventLine(JSON.parse(frame), ctx)`
 * writes, without building the event object (only shown values are decoded;
 * measured in bench/README.md, issue 24).
 *
 * - The frame's key sequence is looked up once per shape (plain-shape.ts):
 *   the shape says which members the head and the highlights read (decoded
 *   into the shape's view, as JSON.parse decodes them), where the type, the
 *   time and the server fields are, which members the `key=value` part writes.
 * - The head is the full path's own code (formatTimeColumn,
 *   formatTypeAndServer, severityOf), fed from the bytes where that gives
 *   the same (plain-head.ts): the time from the digits of `occurred_at`, the
 *   type and server pieces kept per (type, server) pair; else from the view.
 *   The highlights are formatHighlights of the view.
 * - The other fields are written in the frame's order. A string without
 *   escapes is its bytes; the sanitizer is skipped when the whole frame is
 *   ASCII without DEL (then no string holds anything it changes). A nested
 *   object or array is printed from its raw text when that text is what
 *   JSON.stringify writes of it (no whitespace, no escapes, integers of at
 *   most 15 digits and no `-0`, no duplicate or digit-led keys); else it is
 *   parsed alone and formatted as the full path does.
 *
 * Returns undefined for what it leaves to the full path: a --fields or
 * --format line, a frame with non-ASCII bytes, more members than the scanner
 * records, a duplicate top-level key (JSON.parse keeps the first place and
 * the last value) or one led by a digit (an object lists those first).
 */
export function formatPlainLine(bytes: Buffer, members: MemberSpans, ctx: LineContext): string | undefined {
  const count = members.count;
  if (count < 0 || ctx.template !== undefined || ctx.fields !== undefined || members.bytes !== bytes) return undefined;
  // ASCII only: its string offsets are its byte offsets.
  if (!members.ascii) return undefined;
  const spans = members.spans;
  const bytesView = members.dataView ?? dataViewOf(bytes);
  const shape = shapeOfFrame(bytes, bytesView, members);
  if (shape === undefined) return undefined;
  // The frame's text: from `shift` on in the read's text when the scanner has it, else decoded here.
  const text = members.text ?? bytes.toString('latin1');
  shift = members.text === undefined ? 0 : members.textAt;
  // DEL is the one ASCII character the sanitizer removes (controls cannot be raw in JSON strings).
  const clean = !(members.del ?? hasDel(text, shift, shift + bytes.length));
  const view = shape.view;
  const viewed = shape.viewed;
  // Whether a shown string has escapes (then it may decode to what the sanitizer changes).
  let escapes = 0;
  for (let i = 0; i < viewed.length; i += 2) {
    const at = viewed[i]! * MEMBER_INTS;
    escapes |= spans[at + 4]!;
    setField(view, viewed[i + 1]!, decodeValue(text, spans, at));
  }
  const colors = ctx.colors;
  let line = ctx.source === undefined ? '' : `${colors.source(ctx.source.index, stripControl(ctx.source.label))} `;
  if (ctx.time !== 'none') line += timeColumn(text, spans, shape, ctx, members.occurredMs);
  // The server: the first server field whose value is a non-empty string (serverIdentityFieldOf).
  let server = -1;
  const servers = shape.servers;
  for (let i = 0; i < servers.length; i++) {
    const s = valueStart(text, spans, servers[i]! * MEMBER_INTS);
    if (text.charCodeAt(s) === 0x22 && text.charCodeAt(s + 1) !== 0x22) {
      server = servers[i]!;
      break;
    }
  }
  line += typeAndServer(bytes, bytesView, text, members, shape, server, colors);
  line += formatHighlights(view as unknown as HangarEvent, colors, clean && escapes === 0);
  const keys = shape.keys;
  const rest = shape.rest;
  const short = ctx.wide !== true;
  for (let i = 0; i < rest.length; i++) {
    const m = rest[i]!;
    if (m === server) continue;
    const key = keys[m]!;
    const value = restValue(text, spans, m * MEMBER_INTS, key, clean, short && key.bulky);
    if (value === undefined) continue;
    if (key.colors !== colors) {
      key.colors = colors;
      key.prefix = ` ${colors.key(`${stripControl(key.text)}=`)}`;
    }
    line += key.prefix + value;
  }
  return ctx.width === undefined ? line : fitLine(line, ctx.width);
}

/**
 * The time column (ctx.time not `none`): from occurred_at's digits when they tell, else as the full path
 * reads the time. `knownMs`: exactMs of them when the scanner read it (MemberSpans.occurredMs), -2: not.
 */
function timeColumn(text: string, spans: Int32Array, shape: Shape, ctx: LineContext, knownMs: number): string {
  const at = shape.occurredAt * MEMBER_INTS;
  // A relative time is the age of the exact value, not of its millisecond.
  if (at >= 0 && ctx.time !== 'relative') {
    const ms = knownMs !== -2 ? knownMs : exactMs(text, valueStart(text, spans, at), valueEnd(text, spans, at));
    if (ms >= 0) return ctx.time === 'iso' ? formatTimeColumn(ms, ctx) : clockColumn(ms, ctx);
  }
  decodeInto(shape.view, shape.timeFields, text, spans);
  return formatTimeColumn(eventTimeMs(shape.view as unknown as HangarEvent), ctx);
}

/**
 * The head after the time for the type and the server member (-1: none):
 * kept per (type, server) pair when neither has escapes, else made from the
 * view as the full path makes it.
 */
function typeAndServer(bytes: Buffer, bytesView: DataView, text: string, members: MemberSpans, shape: Shape, server: number, colors: ColorScheme): string {
  const view = shape.view;
  const spans = members.spans;
  const typeAt = shape.typeAt * MEMBER_INTS;
  const serverAt = server * MEMBER_INTS;
  if (spans[typeAt + 4] === 0 && (server < 0 || spans[serverAt + 4] === 0)) {
    // The entry the scanner found by the pair's bytes (MemberSpans.pairId), else the one found here, which it is taught.
    let entry = members.pairId !== 0 ? headEntryById(members.pairId) : undefined;
    if (entry === undefined) {
      // Strings without escapes: their text is their bytes between the quotes.
      // Positions in the frame's bytes (the text's less `shift`).
      const ss = server < 0 ? -1 : valueStart(text, spans, serverAt) + 1 - shift;
      const se = server < 0 ? -1 : valueEnd(text, spans, serverAt) - 1 - shift;
      entry = headEntryOf(bytes, bytesView, valueStart(text, spans, typeAt) + 1 - shift, valueEnd(text, spans, typeAt) - 1 - shift, ss, se);
      if (members.learnPair !== undefined) {
        keepHeadEntry(entry);
        members.learnPair(bytes, entry.serial);
      }
    }
    if (!shape.refined) return headPiece(entry, baseSeverity(entry), colors);
    view.event_type = entry.type;
    return headPiece(entry, severityOf(view as unknown as HangarEvent), colors);
  }
  decodeInto(view, shape.headFields, text, spans);
  const serverKey = serverIdentityFieldOf(view as unknown as HangarEvent);
  const record = view as unknown as Record<string, unknown>;
  return formatTypeAndServer(view.event_type, serverKey === undefined ? undefined : record[serverKey], severityOf(view as unknown as HangarEvent), colors);
}

/** Decodes the (member, slot) pairs into the view. */
function decodeInto(view: View, fields: Int32Array, text: string, spans: Int32Array): void {
  for (let i = 0; i < fields.length; i += 2) setField(view, fields[i + 1]!, decodeValue(text, spans, fields[i]! * MEMBER_INTS));
}

/**
 * Where the frame starts in `text` (MemberSpans.textAt, or 0 for a frame's own text): the spans are
 * positions in the frame's bytes, the text's are theirs plus this. Set by formatPlainLine for the
 * frame it formats (synchronously).
 */
let shift = 0;

/** Whether text[from, to) holds a DEL. */
function hasDel(text: string, from: number, to: number): boolean {
  const at = text.indexOf('\x7f', from);
  return at !== -1 && at < to;
}

/** Start and end (in the text) of member `at`'s value, without the spaces and tabs around it. */
function valueStart(text: string, spans: Int32Array, at: number): number {
  let s = spans[at + 2]! + shift;
  for (let c = text.charCodeAt(s); c === 0x20 || c === 0x09; c = text.charCodeAt(++s));
  return s;
}

function valueEnd(text: string, spans: Int32Array, at: number): number {
  let e = spans[at + 3]! + shift;
  for (let c = text.charCodeAt(e - 1); c === 0x20 || c === 0x09; c = text.charCodeAt(--e - 1));
  return e;
}

/** A member's value as JSON.parse makes it. */
function decodeValue(text: string, spans: Int32Array, at: number): unknown {
  const s = valueStart(text, spans, at);
  const e = valueEnd(text, spans, at);
  switch (text.charCodeAt(s)) {
    case 0x22: // "
      return spans[at + 4] === 0 ? text.slice(s + 1, e - 1) : JSON.parse(text.slice(s, e));
    case 0x74: // t
      return true;
    case 0x66: // f
      return false;
    case 0x6e: // n
      return null;
    case 0x7b: // {
    case 0x5b: // [
      return JSON.parse(text.slice(s, e));
    default:
      return numberOf(text, s, e);
  }
}

/** A member's `key=value` value text as the full path writes it; undefined for null (skipped). */
function restValue(text: string, spans: Int32Array, at: number, key: Key, clean: boolean, bulky: boolean): string | undefined {
  const s = valueStart(text, spans, at);
  const e = valueEnd(text, spans, at);
  const escapes = spans[at + 4]!;
  switch (text.charCodeAt(s)) {
    case 0x22: {
      if (escapes === 0 && clean) {
        // A string the sanitizer leaves as it is: formatBulky's rules without its test (a bulky string
        // other than the id is shown in full; the id longer than CUT_ID_CHARS by its first 8 and `…`).
        if (!bulky || !key.cutId || e - s - 2 <= CUT_ID_CHARS) return formatCleanPairString(text.slice(s + 1, e - 1));
        return `${text.slice(s + 1, s + 9)}…`;
      }
      const value = escapes === 0 ? text.slice(s + 1, e - 1) : (JSON.parse(text.slice(s, e)) as string);
      return bulky ? formatBulky(key.text, value) : formatPairValue(value);
    }
    case 0x74:
      return 'true';
    case 0x66:
      return 'false';
    case 0x6e:
      return undefined;
    case 0x7b:
    case 0x5b: {
      if (escapes !== 0 || !clean || !isStringified(text, s, e)) {
        const value = JSON.parse(text.slice(s, e)) as unknown;
        return bulky ? formatBulky(key.text, value) : formatPairValue(value);
      }
      const full = truncate(text.slice(s, e));
      if (!bulky || full.length <= BULKY_MAX_CHARS) return full;
      const items = countItems(text, s, e);
      return text.charCodeAt(s) === 0x5b ? `[…${plural(items, 'item')}]` : `{…${plural(items, 'key')}}`;
    }
    default:
      return isShortInteger(text, s, e) ? text.slice(s, e) : String(Number(text.slice(s, e)));
  }
}

/** Whether text[s, e) is an integer of at most 15 digits other than `-0`: String(Number(it)) is itself. */
function isShortInteger(text: string, s: number, e: number): boolean {
  let i = text.charCodeAt(s) === 0x2d ? s + 1 : s;
  if (e - i > 15 || e === i) return false;
  if (text.charCodeAt(i) === 0x30 && e - i === 1 && i > s) return false; // -0
  for (; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Key spans of the objects open in isStringified: start, end pairs (reused; more keys than it holds: the value is parsed). */
const keyStack = new Int32Array(512);
/** Where each open object's keys start in keyStack (the scanner allows 64 levels of nesting). */
const objectStack = new Int32Array(128);

/**
 * Whether the raw JSON text[s, e) of a nested value (valid, ASCII, no escapes:
 * the caller checked) is what JSON.stringify writes of its parse: no
 * whitespace outside strings, every number a short integer (not `-0`), no key
 * led by a digit (an object lists those first) and no key twice in an object
 * (the parse keeps the first place and the last value).
 */
export function isStringified(text: string, s: number, e: number): boolean {
  let keys = 0;
  let objects = 0;
  let i = s;
  while (i < e) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i + 1;
      const end = text.indexOf('"', start);
      i = end + 1;
      if (text.charCodeAt(i) !== 0x3a) continue; // a value
      // A key: not digit-led, not already in this object.
      const first = text.charCodeAt(start);
      if (first >= 0x30 && first <= 0x39) return false;
      const length = end - start;
      for (let k = objectStack[objects - 1]!; k < keys; k += 2) {
        const ks = keyStack[k]!;
        if (keyStack[k + 1]! - ks === length && text.startsWith(text.slice(start, end), ks)) return false;
      }
      if (keys === keyStack.length) return false;
      keyStack[keys++] = start;
      keyStack[keys++] = end;
      i++;
      continue;
    }
    if (c === 0x7b) {
      if (objects === objectStack.length) return false;
      objectStack[objects++] = keys;
    } else if (c === 0x7d) keys = objectStack[--objects]!;
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      for (let d = text.charCodeAt(j); (d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d; d = text.charCodeAt(++j));
      if (!isShortInteger(text, i, j)) return false;
      i = j;
      continue;
    } else if (c === 0x20 || c === 0x09) return false;
    i++;
  }
  return true;
}

/** The members of an object or the items of an array, raw text[s, e) as isStringified accepted it. */
function countItems(text: string, s: number, e: number): number {
  if (e - s === 2) return 0;
  let items = 1;
  let depth = 0;
  for (let i = s + 1; i < e - 1; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = text.indexOf('"', i + 1);
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c && depth === 0) items++;
  }
  return items;
}

