import type { ColorScheme } from '../io/color-level.js';
import { MEMBER_INTS, type MemberSpans } from '../protocol/plain-event.js';
import { SERVER_IDENTITY_FIELDS } from '../protocol/server-identity.js';
import { BULKY_KEYS, highlightedKeys, identityKeys } from './line.js';
import { pushWords } from './byte-words.js';

/**
 * The shapes of plain event frames for the line read from their bytes
 * (plain-line.ts): frames of one type repeat their top-level keys in the
 * same order, so the keys of a frame are looked up one by one only the first
 * time their sequence is seen; after that a frame whose key bytes are the
 * same as a known shape's (compared four bytes at a time, found by a hash of
 * the key spans) runs that shape's precompiled lists: which members to decode
 * into the view, where the type, the time and the server fields are, which
 * members the `key=value` part writes.
 */

/** A top-level key seen before, with what the line does with it. */
export interface Key {
  readonly text: string;
  readonly bytes: Uint8Array;
  /** Its slot in the view (VIEW_KEYS), or -1. */
  readonly slot: number;
  /** Never in the `key=value` part (identity and highlighted fields). */
  readonly skipped: boolean;
  /** Shown short unless --wide (BULKY_KEYS). */
  readonly bulky: boolean;
  /** correlation_id: a string value longer than CUT_ID_CHARS is cut (formatBulky). */
  readonly cutId: boolean;
  /** The serial of the last frame that had it: a second time in one frame is a duplicate. */
  seen: number;
  /** ` key=` as the rest of the line writes it, in `colors`. */
  prefix: string;
  colors: ColorScheme | undefined;
}

/**
 * The fields of a frame the head and the highlights read (time, severity,
 * server, highlights), each undefined unless the frame has it. One class, its
 * fields set by slot (a keyed store per field costs more than the rest of the
 * line); each shape has its own, so a field the shape lacks stays undefined.
 */
export class View {
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

const VIEW_FIELDS = Object.keys(new View());
/** Every field formatHead and formatHighlights read (time, severity, server, highlights): the view's. */
export const VIEW_KEYS: ReadonlySet<string> = new Set(VIEW_FIELDS);
/** The slot of each VIEW_KEYS field in `setField`. */
const VIEW_SLOTS: ReadonlyMap<string, number> = new Map(VIEW_FIELDS.map((key, slot) => [key, slot]));
const TYPE_SLOT = 0;
const OCCURRED_AT_SLOT = 1;
const TIMESTAMP_SLOT = 2;
/** Slots 3 to 11: the fields severityOf reads besides the type (new_state, 11, is also a highlight). */
const LAST_SEVERITY_SLOT = 11;
/** Slots 12 to 16: the server fields (SERVER_IDENTITY_FIELDS). */
const FIRST_SERVER_SLOT = 12;
const LAST_SERVER_SLOT = 16;

export function setField(view: View, slot: number, value: unknown): void {
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

/** A sequence of top-level keys, and what the line does with each member of a frame that has it. */
export interface Shape {
  /** Its id (1, 2, ...: one per shape built), as the WebAssembly scanner is taught it (MemberSpans.shapeId). */
  readonly serial: number;
  readonly hash: number;
  /** Its keys, in the frame's order (one per member). */
  readonly keys: readonly Key[];
  /** The length of each key, and all of their bytes as byte-words.ts compares them. */
  readonly lengths: Int32Array;
  readonly words: Uint32Array;
  /** The bytes of the keys of 8 bytes or more, as sameKeys compares them (8 at a time); `words` holds the shorter ones'. */
  readonly doubles: Float64Array;
  /** The view of this shape's frames. */
  readonly view: View;
  /** Member, slot pairs decoded into the view for every frame: the highlights, and the severity's fields when the shape has any. */
  readonly viewed: Int32Array;
  /** Member, slot pairs decoded only when the head is made from the view (an escape in the type or the server): the type and the server fields. */
  readonly headFields: Int32Array;
  /** Member, slot pairs of occurred_at and timestamp: decoded when the time is not read from occurred_at's digits. */
  readonly timeFields: Int32Array;
  /** The member of event_type. */
  readonly typeAt: number;
  /** The member of occurred_at, or -1. */
  readonly occurredAt: number;
  /** The members of the server fields, in the order SERVER_IDENTITY_FIELDS consults them. */
  readonly servers: Int32Array;
  /** Whether a field besides the type can change the severity (severityOf's fields: enforcement ... new_state). */
  readonly refined: boolean;
  /** The members the `key=value` part writes (all but identity and highlighted fields), the server's excepted per frame. */
  readonly rest: Int32Array;
}

/**
 * Keys seen so far, by a hash of their text: read from the frame without
 * making a string each time. Bounded: when KEYS_KEPT are kept (a stream of
 * ever new keys), the table starts again empty before the next shape is
 * built (never within one: a frame's duplicates are found by the keys' `seen`).
 */
const KEY_SLOTS = 1024;
const KEYS_KEPT = 512;
const keyTable: Array<Key | undefined> = new Array<Key | undefined>(KEY_SLOTS).fill(undefined);
let keysKept = 0;
let frameSerial = 0;

/** Shapes by a hash of their key spans; bounded like the keys (a stream of ever new shapes starts the table again). */
const SHAPE_SLOTS = 256;
export const SHAPES_KEPT = 128;
const SHAPE_PROBES = 8;
const shapeTable: Array<Shape | undefined> = new Array<Shape | undefined>(SHAPE_SLOTS).fill(undefined);
let shapesKept = 0;
/** The shapes built last, by serial (a ring of SHAPE_RING, more than SHAPES_KEPT: every shape in the table is in it). */
const SHAPE_RING = 256;
const shapeRing: Array<Shape | undefined> = new Array<Shape | undefined>(SHAPE_RING).fill(undefined);
let shapeSerial = 0;

/**
 * The shape of the frame `bytes` whose members `members` holds (as shapeOf):
 * the one the scanner found by comparing its keys (MemberSpans.shapeId) when
 * it is still kept, else shapeOf's, which the scanner is then taught.
 */
export function shapeOfFrame(bytes: Uint8Array, view: DataView, members: MemberSpans): Shape | undefined {
  const id = members.shapeId;
  if (id !== 0) {
    const known = shapeRing[id & (SHAPE_RING - 1)];
    if (known !== undefined && known.serial === id) return known;
  }
  const shape = shapeOf(bytes, view, members.spans, members.count, members.keyHash);
  if (shape !== undefined && members.learnShape !== undefined) members.learnShape(bytes, shape.serial, shape.occurredAt, shape.typeAt, shape.servers);
  return shape;
}

/**
 * The shape of a frame with `count` recorded members (ASCII; `view` is
 * dataViewOf(bytes)), or undefined
 * when the line is the full path's: a key led by a digit (an object lists
 * those first) or a key twice (JSON.parse keeps the first place and the last
 * value).
 */
export function shapeOf(bytes: Uint8Array, view: DataView, spans: Int32Array, count: number, keyHash?: number): Shape | undefined {
  const base = bytes.byteOffset;
  const hash = keyHash ?? keysHash(view, base, spans, count);
  let free = -1;
  for (let probe = 0; probe < SHAPE_PROBES; probe++) {
    const slot = (hash + probe) & (SHAPE_SLOTS - 1);
    const shape = shapeTable[slot];
    if (shape === undefined) {
      free = slot;
      break;
    }
    if (shape.hash === hash && sameKeys(shape, view, base, spans, count)) return shape;
  }
  if (free < 0 || shapesKept >= SHAPES_KEPT) {
    shapeTable.fill(undefined);
    shapesKept = 0;
    free = hash & (SHAPE_SLOTS - 1);
  }
  const shape = buildShape(hash, bytes, spans, count);
  if (shape === undefined) return undefined;
  shapesKept++;
  return (shapeTable[free] = shape);
}

const HEAD_MASKS = [0, 0xff, 0xffff, 0xffffff];

/**
 * The hash of a frame's `count` keys that shapes are found by (the WebAssembly
 * scanner makes the same on the way: MemberSpans.keyHash). `view` is
 * dataViewOf(the frame), `base` the frame's byteOffset.
 */
export function keysHash(view: DataView, base: number, spans: Int32Array, count: number): number {
  let hash = count;
  const end = count * MEMBER_INTS;
  for (let at = 0; at < end; at += MEMBER_INTS) {
    const s = spans[at]!;
    const length = spans[at + 1]! - s;
    // The key's first four bytes (a key is followed by at least `":0}`, so they can be read).
    const head = view.getUint32(base + s, true);
    hash = (Math.imul(hash, 31) + length * 1021 + (length >= 4 ? head : head & HEAD_MASKS[length]!)) | 0;
  }
  return hash;
}

/**
 * Whether the frame's keys are the shape's, byte for byte, in one loop (it is
 * run for every frame). A key of 8 bytes or more is compared 8 bytes at a
 * time as doubles (its 8-byte runs, then its last 8 bytes): exact for ASCII
 * bytes (the frame is ASCII), whose top bit is never set, so no run reads
 * as NaN or -0 and two runs are the same double only when they are the same
 * bytes. A shorter one is compared as words (sameWords; a key is followed
 * by at least `":0}`, so one under four bytes is read as four and masked).
 */
function sameKeys(shape: Shape, view: DataView, base: number, spans: Int32Array, count: number): boolean {
  const lengths = shape.lengths;
  if (lengths.length !== count) return false;
  const words = shape.words;
  const doubles = shape.doubles;
  let w = 0;
  let d = 0;
  for (let m = 0, at = 0; m < count; m++, at += MEMBER_INTS) {
    const s = spans[at]!;
    const length = lengths[m]!;
    if (spans[at + 1]! - s !== length) return false;
    const from = base + s;
    if (length >= 8) {
      const last = from + length - 8;
      for (let i = from; i < last; i += 8) if (view.getFloat64(i, true) !== doubles[d++]) return false;
      if (view.getFloat64(last, true) !== doubles[d++]) return false;
    } else if (length >= 4) {
      if (view.getUint32(from, true) !== words[w++]) return false;
      if (length > 4 && view.getUint32(from + length - 4, true) !== words[w++]) return false;
    } else if (length > 0 && (view.getUint32(from, true) & HEAD_MASKS[length]!) !== words[w++]) return false;
  }
  return true;
}

/** Appends the doubles sameKeys compares for a key of 8 bytes or more. */
function pushDoubles(key: Uint8Array, doubles: number[]): void {
  const view = new DataView(key.buffer, key.byteOffset, key.length);
  const last = key.length - 8;
  for (let i = 0; i < last; i += 8) doubles.push(view.getFloat64(i, true));
  doubles.push(view.getFloat64(last, true));
}

function buildShape(hash: number, bytes: Uint8Array, spans: Int32Array, count: number): Shape | undefined {
  if (keysKept >= KEYS_KEPT) {
    keyTable.fill(undefined);
    keysKept = 0;
  }
  const serial = ++frameSerial;
  const keys: Key[] = [];
  const viewed: number[] = [];
  const headFields: number[] = [];
  const timeFields: number[] = [];
  const rest: number[] = [];
  const servers: number[] = [];
  const words: number[] = [];
  const doubles: number[] = [];
  let typeAt = -1;
  let occurredAt = -1;
  let refined = false;
  for (let m = 0; m < count; m++) {
    const key = keyOf(bytes, spans[m * MEMBER_INTS]!, spans[m * MEMBER_INTS + 1]!);
    if (key === undefined || key.seen === serial) return undefined;
    key.seen = serial;
    keys.push(key);
    if (key.bytes.length >= 8) pushDoubles(key.bytes, doubles);
    else pushWords(key.bytes, 0, key.bytes.length, words);
    const slot = key.slot;
    if (slot === TYPE_SLOT) {
      typeAt = m;
      headFields.push(m, slot);
    } else if (slot === OCCURRED_AT_SLOT || slot === TIMESTAMP_SLOT) {
      if (slot === OCCURRED_AT_SLOT) occurredAt = m;
      timeFields.push(m, slot);
    } else if (slot >= FIRST_SERVER_SLOT && slot <= LAST_SERVER_SLOT) headFields.push(m, slot);
    else if (slot >= 0) {
      viewed.push(m, slot);
      if (slot <= LAST_SEVERITY_SLOT) refined = true;
    }
    if (!key.skipped) rest.push(m);
  }
  // The scanner saw event_type, so the shape has it; kept as a check.
  if (typeAt < 0) return undefined;
  for (const field of SERVER_IDENTITY_FIELDS) {
    const m = keys.findIndex((key) => key.text === field);
    if (m >= 0) servers.push(m);
  }
  const id = ++shapeSerial;
  return (shapeRing[id & (SHAPE_RING - 1)] = {
    serial: id,
    hash,
    keys,
    lengths: Int32Array.from(keys, (key) => key.bytes.length),
    words: Uint32Array.from(words),
    doubles: Float64Array.from(doubles),
    view: new View(),
    viewed: Int32Array.from(viewed),
    headFields: Int32Array.from(headFields),
    timeFields: Int32Array.from(timeFields),
    typeAt,
    occurredAt,
    servers: Int32Array.from(servers),
    refined,
    rest: Int32Array.from(rest),
  });
}

/** The key in bytes[s, e) (ASCII), undefined when it leads with a digit (an object lists those first) or the table is crowded there. */
function keyOf(bytes: Uint8Array, s: number, e: number): Key | undefined {
  const length = e - s;
  // Every byte (only a new shape looks keys up); the bytes are compared anyway.
  let hash = length;
  for (let i = s; i < e; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  for (let probe = 0; probe < 16; probe++) {
    const slot = (hash + probe) & (KEY_SLOTS - 1);
    const key = keyTable[slot];
    if (key === undefined) {
      const first = bytes[s]!;
      if (first >= 0x30 && first <= 0x39) return undefined;
      const name = Buffer.from(bytes.buffer, bytes.byteOffset + s, length).toString('latin1');
      keysKept++;
      return (keyTable[slot] = {
        text: name,
        bytes: Uint8Array.from(bytes.subarray(s, e)),
        slot: VIEW_SLOTS.get(name) ?? -1,
        skipped: identityKeys.has(name) || highlightedKeys.has(name),
        bulky: BULKY_KEYS.has(name),
        cutId: name === 'correlation_id',
        seen: 0,
        prefix: '',
        colors: undefined,
      });
    }
    if (sameBytes(key.bytes, bytes, s, length)) return key;
  }
  return undefined;
}

function sameBytes(key: Uint8Array, bytes: Uint8Array, s: number, length: number): boolean {
  if (key.length !== length) return false;
  for (let i = 0; i < length; i++) if (key[i] !== bytes[s + i]) return false;
  return true;
}
