import { isUtf8 } from 'node:buffer';

/**
 * Recognises a "plain" event frame in its bytes, without building anything:
 * exactly one JSON object (RFC 8259 grammar, checked byte by byte) whose
 * top-level keys include one non-empty string `event_type`, with at most one
 * `event_id` (a string without escapes), no line breaks anywhere, nothing before or after the object, and valid UTF-8. Such a frame is what
 * `decodeServerFrame` accepts as an event and what tail's NDJSON line is
 * byte for byte, so it can go from the socket to stdout as it is.
 *
 * The scanner only says yes or "not plain": anything unusual (escapes in a
 * top-level key, a duplicate `event_type`, deep nesting, whitespace other
 * than spaces and tabs) is "not plain" too, and the caller takes the full
 * path (JSON.parse and decodeServerFrame), which accepts or reports it.
 * UTF-8 is checked here (`isUtf8`), only for a frame with a byte over 0x7f
 * in a string (outside strings such a byte is not JSON anyway): most frames
 * are ASCII, and a check of every frame cost ~6% of tail -o ndjson.
 */

/** Where the `event_id` string's content lies in the frame; -1 when the event has none. */
export interface PlainEventScan {
  idStart: number;
  idEnd: number;
  /**
   * Where a top-level `occurred_at` number lies (the last one, as JSON.parse
   * keeps it); -1 when there is none or it is not a number. Set when asked for
   * (present in `out`): the store reads the time without parsing the event.
   */
  atStart?: number;
  atEnd?: number;
  /** Whether a top-level `_version` key is there (the store's schema version); set when asked for. */
  versioned?: boolean;
  /** Where each top-level member lies; recorded when present (tail's pretty lines read fields from it without parsing). */
  members?: MemberSpans;
}

/** Most top-level members recorded; an event with more has `count` -1. */
export const MAX_MEMBERS = 64;

/** Ints per member in `MemberSpans.spans`. */
export const MEMBER_INTS = 5;

/**
 * The top-level members of the last frame scanned with this record, in the
 * order they appear: per member MEMBER_INTS ints, the key's content (start,
 * end: a top-level key of a plain event has no escapes), the value (start
 * after the colon, end at the `,` or `}` after it: spaces and tabs around the
 * value included) and how many strings with escapes the value holds.
 */
export interface MemberSpans {
  /** The frame the spans are of; the next scan with the same record replaces them. */
  bytes: Uint8Array | undefined;
  /** How many members; -1 when there were more than MAX_MEMBERS (not recorded). */
  count: number;
  /** Whether every byte of the frame is ASCII (no string held a byte over 0x7f; outside strings none can be). */
  ascii: boolean;
  /**
   * MAX_MEMBERS * MEMBER_INTS ints. The WebAssembly scanner's record is a view
   * of its module's memory (protocol/plain-scan-wasm.ts), replaced when that
   * memory grows (before a frame is scanned): read it from the record.
   */
  spans: Int32Array;
  /**
   * The hash render/plain-shape.ts's shapeOf makes of the keys (keysHash), when the scanner made
   * it on the way (the WebAssembly one does); undefined: shapeOf makes it.
   */
  keyHash: number | undefined;
  /**
   * The frame's bytes as latin1 text from `textAt` on, when the scanner has
   * it: the WebAssembly scanner decodes each socket read once and gives every
   * frame of it that read's text (one decoding per read instead of one per
   * frame); undefined: the reader decodes the frame itself.
   */
  text: string | undefined;
  textAt: number;
  /** Whether the frame holds a DEL (0x7f, in a string), when the scanner saw (the WebAssembly one does); undefined: the reader looks. */
  del: boolean | undefined;
  /**
   * A DataView of the whole buffer under `bytes` (read at `bytes.byteOffset + i`), when the scanner has one:
   * the WebAssembly scanner makes one per socket read (TypedArray#buffer is a slow call on Node 20); undefined: the reader makes it.
   */
  dataView: DataView | undefined;
  /**
   * The id of the shape (render/plain-shape.ts) of the frame's key sequence, when the scanner
   * knows it (the WebAssembly one compares the keys with the sequences it was taught); 0: not known.
   */
  shapeId: number;
  /**
   * Teaches the scanner that the frame `bytes` just scanned into this record has the shape `id`
   * (not 0), whose occurred_at is member `timeMember` (-1: none), event_type `typeMember`, and
   * whose server fields are `serverMembers` in the order they are consulted: later frames with its
   * keys come with that shapeId (and occurredMs, pairId). Does nothing when `bytes` is no
   * longer the frame the scanner scanned last. Undefined: the scanner learns no shapes.
   */
  learnShape: ((bytes: Uint8Array, id: number, timeMember: number, typeMember: number, serverMembers: ArrayLike<number>) => void) | undefined;
  /**
   * occurred_at in whole milliseconds as render/plain-head.ts's exactMs reads it, when the scanner
   * read it (the WebAssembly one does for a frame whose shape it knows: `timeMember` of learnShape);
   * -1: its digits cannot tell; -2: not read.
   */
  occurredMs: number;
  /**
   * The id of the (type, server) head entry (render/plain-head.ts) of the frame, when the scanner
   * knows it (the WebAssembly one, for a frame whose shape it knows); 0: not known.
   */
  pairId: number;
  /** Teaches the scanner the id of the head entry of the frame `bytes` it scanned last (as learnShape). */
  learnPair: ((bytes: Uint8Array, id: number) => void) | undefined;
}

export function createMemberSpans(): MemberSpans {
  return { bytes: undefined, count: 0, ascii: false, spans: new Int32Array(MAX_MEMBERS * MEMBER_INTS), keyHash: undefined, text: undefined, textAt: 0, del: undefined, dataView: undefined, shapeId: 0, learnShape: undefined, occurredMs: -2, pairId: 0, learnPair: undefined };
}

/** Deeper nesting is not plain (the full path decides). */
const MAX_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** `"event_type"` and `"event_id"` as bytes (without quotes). */
const EVENT_TYPE = [0x65, 0x76, 0x65, 0x6e, 0x74, 0x5f, 0x74, 0x79, 0x70, 0x65];
const EVENT_ID = [0x65, 0x76, 0x65, 0x6e, 0x74, 0x5f, 0x69, 0x64];
const OCCURRED_AT = [0x6f, 0x63, 0x63, 0x75, 0x72, 0x72, 0x65, 0x64, 0x5f, 0x61, 0x74];
const VERSION = [0x5f, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e];

/** 1 for a byte that stands for itself inside a string and needs no look: printable ASCII but the quote and the backslash. */
const STRING_BYTE = new Uint8Array(256).map((_, c) => (c >= 0x20 && c < 0x80 && c !== QUOTE && c !== BACKSLASH ? 1 : 0));

/** Containers open at each depth: 1 object, 2 array (reused; the scan is synchronous). */
const stack = new Uint8Array(MAX_DEPTH + 1);

/**
 * Whether `b` is a plain event frame (see above); on true, `out` says where
 * its `event_id` is. Never throws.
 */
export function scanPlainEvent(b: Uint8Array, out: PlainEventScan): boolean {
  const n = b.length;
  if (n < 2 || b[0] !== OPEN_OBJECT || b[n - 1] !== CLOSE_OBJECT) return false;
  let i = 1;
  let depth = 1;
  stack[1] = 1;
  nonAscii = false;
  let typeSeen = false;
  let idSeen = false;
  out.idStart = -1;
  out.idEnd = -1;
  const wantsTime = out.atStart !== undefined;
  const wantsVersion = out.versioned !== undefined;
  if (wantsVersion) out.versioned = false;
  if (wantsTime) {
    out.atStart = -1;
    out.atEnd = -1;
  }
  const members = out.members;
  // Members recorded so far, and the escapes counted before the current value.
  let count = 0;
  let escapesBefore = 0;
  if (members !== undefined) members.bytes = undefined;
  // 0: a value, 1: a key or `}` (just after `{`), 2: `,` or the container's close, 3: a key (after `,`)
  let expect = 1;
  // Which top-level key the next value belongs to: 0 other, 1 event_type, 2 event_id, 3 occurred_at (when asked).
  let key = 0;
  for (;;) {
    let c = b[i];
    while (c === 0x20 || c === 0x09) c = b[++i];
    if (c === undefined) return false;
    if (expect === 0) {
      if (c === QUOTE) {
        const start = i + 1;
        const end = skipString(b, start);
        if (end < 0) return false;
        if (key === 1) {
          if (end === start) return false; // an empty event_type is not an event
        } else if (key === 2) {
          // An id with escapes would need decoding: not plain.
          if (stringHadEscape) return false;
          out.idStart = start;
          out.idEnd = end;
        }
        i = end + 1;
        key = 0;
        expect = 2;
        continue;
      }
      // event_type must be a string; a non-string event_id would mean "no id": both unusual.
      if (key === 1 || key === 2) return false;
      const timeKey = key === 3;
      key = 0;
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (depth === MAX_DEPTH) return false;
        stack[++depth] = c === OPEN_OBJECT ? 1 : 2;
        i++;
        expect = c === OPEN_OBJECT ? 1 : 4;
        continue;
      }
      if (c === 0x74) {
        if (b[i + 1] !== 0x72 || b[i + 2] !== 0x75 || b[i + 3] !== 0x65) return false; // true
        i += 4;
      } else if (c === 0x66) {
        if (b[i + 1] !== 0x61 || b[i + 2] !== 0x6c || b[i + 3] !== 0x73 || b[i + 4] !== 0x65) return false; // false
        i += 5;
      } else if (c === 0x6e) {
        if (b[i + 1] !== 0x75 || b[i + 2] !== 0x6c || b[i + 3] !== 0x6c) return false; // null
        i += 4;
      } else {
        const start = i;
        i = skipNumber(b, i);
        if (i < 0) return false;
        if (timeKey) {
          out.atStart = start;
          out.atEnd = i;
        }
      }
      expect = 2;
      continue;
    }
    if (expect === 4) {
      // Just after `[`: a value or `]`.
      if (c === CLOSE_ARRAY) {
        depth--;
        i++;
        expect = 2;
        continue;
      }
      expect = 0;
      continue;
    }
    if (expect === 2) {
      if (depth === 1 && members !== undefined && count >= 0) {
        // The value of the member recorded last ends here (at its `,` or the closing `}`).
        members.spans[count * MEMBER_INTS - 2] = i;
        members.spans[count * MEMBER_INTS - 1] = escapeCount - escapesBefore;
      }
      const inObject = stack[depth] === 1;
      if (c === COMMA) {
        i++;
        expect = inObject ? 3 : 0;
        continue;
      }
      if (c !== (inObject ? CLOSE_OBJECT : CLOSE_ARRAY)) return false;
      i++;
      if (--depth === 0) break;
      continue;
    }
    // A key (expect 1 or 3), or `}` right after `{`.
    if (c === CLOSE_OBJECT && expect === 1) {
      i++;
      if (--depth === 0) break;
      expect = 2;
      continue;
    }
    if (c !== QUOTE) return false;
    const start = i + 1;
    const end = skipString(b, start);
    if (end < 0) return false;
    if (depth === 1) {
      // Top-level keys are compared as bytes: one with an escape could spell event_type, so it is not plain.
      if (stringHadEscape) return false;
      const length = end - start;
      if (length === 10 && matches(b, start, EVENT_TYPE)) {
        if (typeSeen) return false;
        typeSeen = true;
        key = 1;
      } else if (length === 8 && matches(b, start, EVENT_ID)) {
        if (idSeen) return false;
        idSeen = true;
        key = 2;
      } else if (wantsVersion && length === 8 && matches(b, start, VERSION)) {
        out.versioned = true;
      } else if (wantsTime && length === 11 && matches(b, start, OCCURRED_AT)) {
        // A later occurred_at replaces an earlier one (JSON.parse keeps the last).
        out.atStart = -1;
        out.atEnd = -1;
        key = 3;
      }
    }
    i = end + 1;
    c = b[i];
    while (c === 0x20 || c === 0x09) c = b[++i];
    if (c !== COLON) return false;
    i++;
    expect = 0;
    if (depth === 1 && members !== undefined && count >= 0) {
      if (count === MAX_MEMBERS) count = -1;
      else {
        const at = count++ * MEMBER_INTS;
        members.spans[at] = start;
        members.spans[at + 1] = end;
        members.spans[at + 2] = i;
        escapesBefore = escapeCount;
      }
    }
  }
  if (i !== n || !typeSeen) return false;
  if (nonAscii && !isUtf8(b)) return false;
  if (members !== undefined) {
    members.bytes = b;
    members.count = count;
    members.ascii = !nonAscii;
    members.keyHash = undefined;
    members.text = undefined;
    members.del = undefined;
    members.dataView = undefined;
    // Its shape is not known to this scanner (a record the WebAssembly scanner filled before may say otherwise).
    members.shapeId = 0;
    members.occurredMs = -2;
    members.pairId = 0;
  }
  return true;
}

function matches(b: Uint8Array, at: number, word: readonly number[]): boolean {
  for (let k = 0; k < word.length; k++) if (b[at + k] !== word[k]) return false;
  return true;
}

/** Whether the string skipString last skipped held an escape (the scan is synchronous). */
let stringHadEscape = false;
/** Whether a string of this frame held a byte over 0x7f (then the frame's UTF-8 is checked once, at the end). */
let nonAscii = false;
/** Strings with escapes skipped so far (wraps harmlessly: only differences are read). */
let escapeCount = 0;

/**
 * From just after an opening quote: the index of the closing quote, or -1
 * when the string is invalid (a raw control character, a bad escape, the
 * end of the frame). U+2028/U+2029 are ordinary characters: an NDJSON line keeps them.
 */
function skipString(b: Uint8Array, i: number): number {
  const n = b.length;
  stringHadEscape = false;
  while (i < n) {
    // Ordinary string bytes in one table lookup each (most of a frame is string content).
    while (STRING_BYTE[b[i]!] === 1) i++;
    if (i >= n) return -1;
    const c = b[i]!;
    if (c === QUOTE) return i;
    if (c === BACKSLASH) {
      if (!stringHadEscape) escapeCount = (escapeCount + 1) | 0;
      stringHadEscape = true;
      const e = b[i + 1];
      if (e === 0x75) {
        // \uXXXX
        for (let k = 2; k < 6; k++) if (!isHex(b[i + k])) return -1;
        i += 6;
        continue;
      }
      // \" \\ \/ \b \f \n \r \t
      if (e !== QUOTE && e !== BACKSLASH && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return -1;
      i += 2;
      continue;
    }
    if (c < 0x20) return -1;
    nonAscii = true;
    i++;
  }
  return -1;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46));
}

/** From the first character of a number: the index after it, or -1 when it is not a JSON number. */
function skipNumber(b: Uint8Array, i: number): number {
  let c = b[i];
  if (c === 0x2d) c = b[++i];
  if (c === 0x30) c = b[++i];
  else if (c !== undefined && c >= 0x31 && c <= 0x39) {
    do c = b[++i];
    while (c !== undefined && c >= 0x30 && c <= 0x39);
  } else return -1;
  if (c === 0x2e) {
    c = b[++i];
    if (c === undefined || c < 0x30 || c > 0x39) return -1;
    do c = b[++i];
    while (c !== undefined && c >= 0x30 && c <= 0x39);
  }
  if (c === 0x65 || c === 0x45) {
    c = b[++i];
    if (c === 0x2b || c === 0x2d) c = b[++i];
    if (c === undefined || c < 0x30 || c > 0x39) return -1;
    do c = b[++i];
    while (c !== undefined && c >= 0x30 && c <= 0x39);
  }
  return i;
}
