import { isAscii } from 'node:buffer';
import type { ColorScheme } from '../io/color.js';
import type { HangarEvent } from '../protocol/types.js';
import { MEMBER_INTS, type MemberSpans } from '../protocol/plain-event.js';
import { stripControl } from '../protocol/sanitize.js';
import { serverIdentityFieldOf } from '../protocol/server-identity.js';
import { plural } from '../format/plural.js';
import { formatCleanPairString, formatPairValue, truncate } from './fields.js';
import { BULKY_KEYS, BULKY_MAX_CHARS, formatBulky, formatHead, formatHighlights, highlightedKeys, identityKeys, type LineContext } from './line.js';
import { fitLine } from './line-fit.js';

/**
 * The default pretty line of a plain event frame (protocol/plain-event.ts),
 * read from the frame's bytes and the scanner's member spans instead of a
 * parsed object: byte for byte what `formatEventLine(JSON.parse(frame), ctx)`
 * writes, without building the event object (only shown values are decoded;
 * measured in bench/README.md, issue 24).
 *
 * - The head and the highlights are the full path's own code (`formatHead`,
 *   `formatHighlights`), given a view holding only the fields they read
 *   (VIEW_KEYS), decoded from their spans as JSON.parse decodes them.
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
  if (!isAscii(bytes)) return undefined;
  const text = bytes.toString('latin1');
  // DEL is the one ASCII character the sanitizer removes (controls cannot be raw in JSON strings).
  const clean = text.indexOf('\x7f') === -1;
  const spans = members.spans;
  if (keysKept >= KEYS_KEPT) {
    keyTable.fill(undefined);
    keysKept = 0;
  }
  const serial = ++frameSerial;
  for (let m = 0; m < count; m++) {
    const at = m * MEMBER_INTS;
    const key = keyOf(bytes, spans[at]!, spans[at + 1]!);
    if (key === undefined || key.seen === serial) return abandon();
    key.seen = serial;
    keys[m] = key;
    if (key.slot >= 0) {
      setField(key.slot, decodeValue(text, spans, at));
      viewed.push(key.slot);
    }
  }
  const colors = ctx.colors;
  let line = ctx.source === undefined ? '' : `${colors.source(ctx.source.index, stripControl(ctx.source.label))} `;
  const event = view as unknown as HangarEvent;
  const serverKey = serverIdentityFieldOf(event);
  line += formatHead(event, serverKey, ctx);
  line += formatHighlights(event, colors);
  resetView();
  for (let m = 0; m < count; m++) {
    const key = keys[m]!;
    if (key.skipped || key.text === serverKey) continue;
    const at = m * MEMBER_INTS;
    const value = restValue(text, spans, at, key.text, clean, ctx.wide !== true && key.bulky);
    if (value === undefined) continue;
    if (key.colors !== colors) {
      key.colors = colors;
      key.prefix = ` ${colors.key(`${stripControl(key.text)}=`)}`;
    }
    line += key.prefix + value;
  }
  return ctx.width === undefined ? line : fitLine(line, ctx.width);
}

/** A top-level key seen before, with what the line does with it. */
interface Key {
  readonly text: string;
  readonly bytes: Uint8Array;
  /** Its slot in the view (VIEW_KEYS), or -1. */
  readonly slot: number;
  /** Never in the `key=value` part (identity and highlighted fields). */
  readonly skipped: boolean;
  /** Shown short unless --wide (BULKY_KEYS). */
  readonly bulky: boolean;
  /** The serial of the last frame that had it: a second time in one frame is a duplicate. */
  seen: number;
  /** ` key=` as the rest of the line writes it, in `colors`. */
  prefix: string;
  colors: ColorScheme | undefined;
}

/**
 * Keys seen so far, by a hash of their text: read from the frame without
 * making a string each time. Bounded: when KEYS_KEPT are kept (a stream of
 * ever new keys), the table starts again empty before the next frame (never
 * within one: a frame's duplicates are found by the keys' `seen`).
 */
const KEY_SLOTS = 1024;
const KEYS_KEPT = 512;
const keyTable: Array<Key | undefined> = new Array<Key | undefined>(KEY_SLOTS).fill(undefined);
let keysKept = 0;
let frameSerial = 0;

/** The key in bytes[s, e) (ASCII), undefined when it leads with a digit (an object lists those first) or the table is crowded there. */
function keyOf(bytes: Buffer, s: number, e: number): Key | undefined {
  const length = e - s;
  // Enough to tell the usual keys apart; the bytes are compared anyway.
  const hash = length * 97 + bytes[s]! * 7 + bytes[s + (length >> 1)]! * 3 + bytes[e - 1]!;
  for (let probe = 0; probe < 16; probe++) {
    const slot = (hash + probe) & (KEY_SLOTS - 1);
    const key = keyTable[slot];
    if (key === undefined) {
      const first = bytes[s]!;
      if (first >= 0x30 && first <= 0x39) return undefined;
      const name = bytes.toString('latin1', s, e);
      keysKept++;
      return (keyTable[slot] = {
        text: name,
        bytes: Uint8Array.from(bytes.subarray(s, e)),
        slot: VIEW_SLOTS.get(name) ?? -1,
        skipped: identityKeys.has(name) || highlightedKeys.has(name),
        bulky: BULKY_KEYS.has(name),
        seen: 0,
        prefix: '',
        colors: undefined,
      });
    }
    if (sameBytes(key.bytes, bytes, s, length)) return key;
  }
  return undefined;
}

function sameBytes(key: Uint8Array, bytes: Buffer, s: number, length: number): boolean {
  if (key.length !== length) return false;
  for (let i = 0; i < length; i++) if (key[i] !== bytes[s + i]) return false;
  return true;
}


/** The keys of the frame being formatted (reused; formatting is synchronous). */
const keys: Key[] = [];

/**
 * The view of the frame being formatted: every VIEW_KEYS field, undefined
 * unless the frame has it (reused; one shape, its fields set by slot: a
 * keyed store per field costs more than the rest of the line).
 */
class View {
  event_type: unknown = undefined;
  occurred_at: unknown = undefined;
  timestamp: unknown = undefined;
  enforcement: unknown = undefined;
  severity: unknown = undefined;
  success: unknown = undefined;
  failed_count: unknown = undefined;
  failed: unknown = undefined;
  total: unknown = undefined;
  in_rotation: unknown = undefined;
  granted: unknown = undefined;
  new_state: unknown = undefined;
  mcp_server_id: unknown = undefined;
  provider_id: unknown = undefined;
  mcp_server_name: unknown = undefined;
  provider_name: unknown = undefined;
  mcp_server: unknown = undefined;
  old_state: unknown = undefined;
  tool_name: unknown = undefined;
  duration_ms: unknown = undefined;
  startup_duration_ms: unknown = undefined;
  idle_duration_s: unknown = undefined;
  result_size_bytes: unknown = undefined;
  error_type: unknown = undefined;
  error_message: unknown = undefined;
  consecutive_failures: unknown = undefined;
  total_failures: unknown = undefined;
}

const view = new View();
/** Every field formatHead and formatHighlights read (time, severity, server, highlights): the view's. */
export const VIEW_KEYS: ReadonlySet<string> = new Set(Object.keys(view));
/** The slot of each VIEW_KEYS field in `setField`. */
const VIEW_SLOTS: ReadonlyMap<string, number> = new Map(Object.keys(view).map((key, slot) => [key, slot]));
/** The view's slots set for this frame. */
const viewed: number[] = [];

function setField(slot: number, value: unknown): void {
  switch (slot) {
    case 0:
      view.event_type = value;
      return;
    case 1:
      view.occurred_at = value;
      return;
    case 2:
      view.timestamp = value;
      return;
    case 3:
      view.enforcement = value;
      return;
    case 4:
      view.severity = value;
      return;
    case 5:
      view.success = value;
      return;
    case 6:
      view.failed_count = value;
      return;
    case 7:
      view.failed = value;
      return;
    case 8:
      view.total = value;
      return;
    case 9:
      view.in_rotation = value;
      return;
    case 10:
      view.granted = value;
      return;
    case 11:
      view.new_state = value;
      return;
    case 12:
      view.mcp_server_id = value;
      return;
    case 13:
      view.provider_id = value;
      return;
    case 14:
      view.mcp_server_name = value;
      return;
    case 15:
      view.provider_name = value;
      return;
    case 16:
      view.mcp_server = value;
      return;
    case 17:
      view.old_state = value;
      return;
    case 18:
      view.tool_name = value;
      return;
    case 19:
      view.duration_ms = value;
      return;
    case 20:
      view.startup_duration_ms = value;
      return;
    case 21:
      view.idle_duration_s = value;
      return;
    case 22:
      view.result_size_bytes = value;
      return;
    case 23:
      view.error_type = value;
      return;
    case 24:
      view.error_message = value;
      return;
    case 25:
      view.consecutive_failures = value;
      return;
    case 26:
      view.total_failures = value;
      return;
  }
}

function resetView(): void {
  for (let i = 0; i < viewed.length; i++) setField(viewed[i]!, undefined);
  viewed.length = 0;
}

/** Leaves the frame to the full path. */
function abandon(): undefined {
  resetView();
  return undefined;
}

/** Start and end of member `at`'s value, without the spaces and tabs around it. */
function valueStart(text: string, spans: Int32Array, at: number): number {
  let s = spans[at + 2]!;
  for (let c = text.charCodeAt(s); c === 0x20 || c === 0x09; c = text.charCodeAt(++s));
  return s;
}

function valueEnd(text: string, spans: Int32Array, at: number): number {
  let e = spans[at + 3]!;
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
      return Number(text.slice(s, e));
  }
}

/** A member's `key=value` value text as the full path writes it; undefined for null (skipped). */
function restValue(text: string, spans: Int32Array, at: number, key: string, clean: boolean, bulky: boolean): string | undefined {
  const s = valueStart(text, spans, at);
  const e = valueEnd(text, spans, at);
  const escapes = spans[at + 4]!;
  switch (text.charCodeAt(s)) {
    case 0x22: {
      if (escapes !== 0 || !clean || bulky) {
        const value = escapes === 0 ? text.slice(s + 1, e - 1) : (JSON.parse(text.slice(s, e)) as string);
        return bulky ? formatBulky(key, value) : formatPairValue(value);
      }
      return formatCleanPairString(text.slice(s + 1, e - 1));
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
        return bulky ? formatBulky(key, value) : formatPairValue(value);
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

/** Key spans of the objects open in isStringified: start, end pairs (reused). */
const keyStack: number[] = [];
/** Where each open object's keys start in keyStack. */
const objectStack: number[] = [];

/**
 * Whether the raw JSON text[s, e) of a nested value (valid, ASCII, no escapes:
 * the caller checked) is what JSON.stringify writes of its parse: no
 * whitespace outside strings, every number a short integer (not `-0`), no key
 * led by a digit (an object lists those first) and no key twice in an object
 * (the parse keeps the first place and the last value).
 */
function isStringified(text: string, s: number, e: number): boolean {
  keyStack.length = 0;
  objectStack.length = 0;
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
      for (let k = objectStack[objectStack.length - 1]!; k < keyStack.length; k += 2) {
        const ks = keyStack[k]!;
        if (keyStack[k + 1]! - ks === length && text.startsWith(text.slice(start, end), ks)) return false;
      }
      keyStack.push(start, end);
      i++;
      continue;
    }
    if (c === 0x7b) objectStack.push(keyStack.length);
    else if (c === 0x7d) keyStack.length = objectStack.pop()!;
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

