import { createMemberSpans, MAX_MEMBERS, MEMBER_INTS, scanPlainEvent, type MemberSpans, type PlainEventScan } from './plain-event.js';
import { PLAIN_SCAN_WASM } from './plain-scan-bytes.js';

/**
 * scanPlainEvent for frames read in place from a socket, done in WebAssembly
 * (plain-scan.wat: the same grammar, string content skipped 16 bytes at a
 * time): the scanner was ~46% of tail -o ndjson's busy time as a byte loop
 * in JavaScript (bench/README.md, issue 24). Each socket read is copied into
 * the module's memory once, when its first frame is scanned; each frame is
 * then one call with its place in that copy.
 *
 * The WebAssembly scan only ever says "plain" when scanPlainEvent would (the
 * differential tests hold it to that); whatever it is not sure of (anything
 * malformed, a byte over 0x7f, the odd cases listed in plain-scan.wat) goes
 * to scanPlainEvent, which stays the authority. The module records the
 * top-level member spans too (tail -o pretty reads its fields from them),
 * into its memory: the scanner's own MemberSpans record (createMemberSpans)
 * is a view of it, any other record gets a copy. The store's fields and
 * runtimes without WebAssembly (`node --jitless`) use scanPlainEvent alone:
 * same answers, the JavaScript speed.
 */

/** What a stream client asks of its scanner. */
export interface PlainFrameScanner {
  /** Which implementation answers first: 'wasm', or 'js' when WebAssembly is unavailable. */
  readonly kind: 'wasm' | 'js';
  /**
   * What scanPlainEvent(payload, out) says. `read` is the socket read that
   * `payload` is a view of (same memory): reads are told apart by identity,
   * so a read must not change once scanned (a socket's never does).
   */
  scan(payload: Uint8Array, read: Uint8Array, out: PlainEventScan): boolean;
  /**
   * scan for a `payload` the caller made as a view of `read` (wire/frame-reader.ts does):
   * that it shares read's memory is not checked again, only that it lies within it
   * (TypedArray#buffer costs ~70-150 ns a call on Node 20, a third of the WebAssembly scan).
   */
  scanView(payload: Uint8Array, read: Uint8Array, out: PlainEventScan): boolean;
  /**
   * Optional (WebAssembly only): takes the run of WebSocket frames at
   * `read[at]` that are whole, unmasked, final text frames (payload at most
   * `maxPayload` bytes, under 64 KiB) holding plain event frames, at most
   * `maxFrames` of them, and stops at the first other one. Returns what it
   * took (`frames` 0: nothing).
   */
  run?(read: Uint8Array, at: number, maxPayload: number, maxFrames: number): PlainFrameRun;
  /** A MemberSpans record for `out.members` that this scanner fills without a copy (the WebAssembly scanner's: a view of its memory). */
  createMemberSpans(): MemberSpans;
}

/** What PlainFrameScanner.run took; reused by the next call. */
export interface PlainFrameRun {
  frames: number;
  /** Where in the read the run ended (the next frame's header). */
  end: number;
  /** The frames' payloads, each followed by a line feed: NDJSON lines. A view valid until the scanner's next call. */
  lines: Uint8Array;
  /** The last event_id in the run, as places in the read; -1 when no frame of the run had one. */
  idStart: number;
  idEnd: number;
}

/** Where a run's lines go in the module's memory, and how many bytes they may take (see plain-scan.wat). */
const LINES_AT = 1024;
const LINES_BYTES = 65536;
/** Where the member spans of a scan go (MAX_MEMBERS * MEMBER_INTS i32). */
const SPANS_AT = LINES_AT + LINES_BYTES;
const SPAN_INTS = MAX_MEMBERS * MEMBER_INTS;
/** The tables of the shapes and the (type, server) pairs the module was taught (see plain-scan.wat), with their bytes. */
const SHAPES_AT = SPANS_AT + SPAN_INTS * 4;
const SHAPES_BYTES = 24576;
/** Where a read's copy starts in the module's memory (below: the results, the container stack, the lines, the spans, the shapes). */
const DATA_AT = SHAPES_AT + SHAPES_BYTES;
/** `at` rounded up to 16 bytes. */
function align(at: number): number {
  return (at + 15) & ~15;
}

/** Readable bytes the module needs after a read (its 16-byte loads). */
const PADDING = 16;
const PAGE_BYTES = 65536;
/** Larger reads are scanned in JavaScript (a read is 64 KiB at most, a frame put together from reads up to ws's maxPayload). */
const MAX_WASM_READ_BYTES = 64 * 1024 * 1024;

interface PlainScanExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  scan(start: number, end: number, spans: number): number;
  scanShaped(start: number, end: number, spans: number): number;
  addShape(start: number, spans: number, count: number, hash: number, id: number, time: number, type: number, servers: bigint): number;
  clearShapes(): void;
  addPair(id: number): number;
  clearPairs(): void;
  run(at: number, end: number, maxPayload: number, maxFrames: number, out: number, outEnd: number): number;
  storeLines(types: number, typesEnd: number, datas: number, datasEnd: number, count: number, inline: number, out: number, records: number, spans: number): number;
}

/**
 * A batch of the store's rows as their lines (WasmPlainScanner.storeLines), views of the
 * module's memory valid until the scanner's next call.
 */
export interface WasmStoreLines {
  /** The lines, each ending in a line feed. */
  readonly lines: Buffer;
  /**
   * Per line 4 ints: where it ends in `lines` (after its line feed), 1 when the scan found
   * it plain or 0 when it was not sure (scanPlainEvent decides), and where its top-level
   * occurred_at number lies in `lines` (-1, -1: none, or not a number).
   */
  readonly records: Int32Array;
  /** How many lines the scan was not sure of. */
  readonly unsure: number;
}

/** What this module uses of the WebAssembly global (Node's types leave it to lib.dom); absent under --jitless. */
interface WebAssemblyApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: unknown };
}

const jsScanner: PlainFrameScanner = {
  kind: 'js',
  scan: (payload, _read, out) => scanPlainEvent(payload, out),
  scanView: (payload, _read, out) => scanPlainEvent(payload, out),
  createMemberSpans,
};

/** A scanner: WebAssembly's when this runtime has it (with SIMD), else scanPlainEvent alone; `wasm: false` asks for the latter. */
export function createPlainFrameScanner(options: { wasm?: boolean } = {}): PlainFrameScanner {
  if (options.wasm === false) return jsScanner;
  return createWasmPlainScanner() ?? jsScanner;
}

/** The WebAssembly scanner alone (its `decide` says "not sure" instead of asking scanPlainEvent), or undefined without WebAssembly. */
export function createWasmPlainScanner(): WasmPlainScanner | undefined {
  const exports = instantiate();
  return exports === undefined ? undefined : new WasmPlainScanner(exports);
}

/** The compiled module; null once it could not be (then never tried again). */
let module: object | undefined | null;

/** The module's exports, or undefined without WebAssembly (compiled once per process). */
function instantiate(): PlainScanExports | undefined {
  const wasm = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (wasm === undefined || module === null) return undefined;
  try {
    module ??= new wasm.Module(Buffer.from(PLAIN_SCAN_WASM, 'base64'));
    return new wasm.Instance(module).exports as PlainScanExports;
  } catch {
    // No SIMD, or a runtime that refuses to compile (--jitless): scanPlainEvent does it all.
    module = null;
    return undefined;
  }
}

export class WasmPlainScanner implements PlainFrameScanner {
  readonly kind = 'wasm' as const;
  private bytes: Uint8Array;
  private ints: Int32Array;
  /** The read copied into memory now, and its byteOffset and length (a typed array's accessors cost per frame). */
  private read: Uint8Array | undefined;
  private readOffset = 0;
  private readLength = 0;
  /** That read as latin1 text, made when a record first asks for it. */
  private readText: string | undefined;
  /** A DataView of that read's whole buffer, likewise. */
  private readView: DataView | undefined;
  private readonly taken: PlainFrameRun = { frames: 0, end: 0, lines: new Uint8Array(0), idStart: -1, idEnd: -1 };
  /** The record whose spans are a view of the module's memory (made when asked for). */
  private members: MemberSpans | undefined;
  /** The frame the module scanned last with spans, and where it starts in memory (learnShape). */
  private lastPayload: Uint8Array | undefined;
  private lastStart = 0;

  constructor(private readonly exports: PlainScanExports) {
    this.bytes = new Uint8Array(exports.memory.buffer);
    this.ints = new Int32Array(exports.memory.buffer, 0, 16);
  }

  /**
   * The record the module fills in place (one per scanner: the scan before
   * the next replaces it, as with any record). scanPlainEvent writes into the
   * same view when it decides instead.
   */
  createMemberSpans(): MemberSpans {
    return (this.members ??= {
      bytes: undefined,
      count: 0,
      ascii: false,
      spans: this.spansView(),
      keyHash: undefined,
      text: undefined,
      textAt: 0,
      del: undefined,
      dataView: undefined,
      shapeId: 0,
      learnShape: this.learnShape,
      occurredMs: -2,
      pairId: 0,
      learnPair: this.learnPair,
    });
  }

  /** MemberSpans.learnShape: the keys of the frame scanned last (still in memory, with its spans) have the shape `id`. */
  private readonly learnShape = (bytes: Uint8Array, id: number, timeMember: number, typeMember: number, serverMembers: ArrayLike<number>): void => {
    if (bytes !== this.lastPayload || id === 0) return;
    const ints = this.ints;
    const count = ints[7]!;
    if (count <= 0) return;
    // The server members a byte each from the lowest, 0xff after the last (at most 5: SERVER_IDENTITY_FIELDS).
    let servers = 0xffffffffffffffffn;
    for (let k = Math.min(serverMembers.length, 5) - 1; k >= 0; k--) servers = ((servers << 8n) | BigInt(serverMembers[k]!)) & 0xffffffffffffffffn;
    const exports = this.exports;
    // No room: the table starts again (bounded, like plain-shape.ts's own).
    if (exports.addShape(this.lastStart, SPANS_AT, count, ints[8]!, id, timeMember, typeMember, servers) === 0) {
      exports.clearShapes();
      exports.addShape(this.lastStart, SPANS_AT, count, ints[8]!, id, timeMember, typeMember, servers);
    }
  };

  /** MemberSpans.learnPair: the pair the module found in the frame scanned last is the head entry `id`. */
  private readonly learnPair = (bytes: Uint8Array, id: number): void => {
    if (bytes !== this.lastPayload || id === 0) return;
    if (this.exports.addPair(id) === 0) {
      this.exports.clearPairs();
      this.exports.addPair(id);
    }
  };

  private spansView(): Int32Array {
    return new Int32Array(this.exports.memory.buffer, SPANS_AT, SPAN_INTS);
  }

  run(read: Uint8Array, at: number, maxPayload: number, maxFrames: number): PlainFrameRun {
    const taken = this.taken;
    this.lastPayload = undefined;
    taken.frames = 0;
    taken.end = at;
    if (maxFrames <= 0 || (read !== this.read && !this.load(read))) return taken;
    const frames = this.exports.run(DATA_AT + at, DATA_AT + read.length, Math.min(maxPayload, 0xffff), Math.min(maxFrames, 0x7fffffff), LINES_AT, LINES_AT + LINES_BYTES);
    if (frames === 0) return taken;
    const ints = this.ints;
    taken.frames = frames;
    taken.end = ints[3]! - DATA_AT;
    taken.lines = this.bytes.subarray(LINES_AT, ints[4]!);
    taken.idStart = ints[5]! < 0 ? -1 : ints[5]! - DATA_AT;
    taken.idEnd = ints[5]! < 0 ? -1 : ints[6]! - DATA_AT;
    return taken;
  }

  scan(payload: Uint8Array, read: Uint8Array, out: PlainEventScan): boolean {
    return this.decide(payload, read, out) || scanPlainEvent(payload, out);
  }

  scanView(payload: Uint8Array, read: Uint8Array, out: PlainEventScan): boolean {
    return this.decide(payload, read, out, true) || scanPlainEvent(payload, out);
  }

  /**
   * True when the WebAssembly scan finds `payload` plain (then `out` says where its id is), false when it is not sure.
   * `isView`: the caller made `payload` as a view of `read` (see scanView).
   */
  decide(payload: Uint8Array, read: Uint8Array, out: PlainEventScan, isView = false): boolean {
    // The store's fields are scanPlainEvent's alone.
    if (out.atStart !== undefined || out.versioned !== undefined) return false;
    const members = out.members;
    this.lastPayload = undefined;
    if (members !== undefined) {
      members.bytes = undefined;
      members.shapeId = 0;
      members.occurredMs = -2;
      members.pairId = 0;
    }
    const loaded = read === this.read;
    const length = payload.length;
    const offset = payload.byteOffset - (loaded ? this.readOffset : read.byteOffset);
    if (offset < 0 || offset + length > (loaded ? this.readLength : read.length) || (!isView && payload.buffer !== read.buffer)) return false;
    if (!loaded && !this.load(read)) return false;
    const start = DATA_AT + offset;
    if ((members !== undefined ? this.exports.scanShaped(start, start + length, SPANS_AT) : this.exports.scan(start, start + length, 0)) !== 1) return false;
    const ints = this.ints;
    const idStart = ints[0]!;
    out.idStart = idStart < 0 ? -1 : idStart - start;
    out.idEnd = idStart < 0 ? -1 : ints[1]! - start;
    if (members !== undefined) {
      const count = ints[7]!;
      if (members !== this.members) {
        // Another record: a copy of what the module recorded.
        const own = this.spansView();
        for (let k = 0, n = count < 0 ? SPAN_INTS : count * MEMBER_INTS; k < n; k++) members.spans[k] = own[k]!;
      }
      members.bytes = payload;
      members.count = count;
      // The module is not sure of any byte over 0x7f: what it decides is ASCII.
      members.ascii = true;
      members.keyHash = ints[8]!;
      // The read's text, decoded once for all its frames (a frame's bytes are its text from `offset` on).
      members.text = this.readText ??= Buffer.from(read.buffer, read.byteOffset, read.length).toString('latin1');
      members.textAt = offset;
      members.del = ints[9] !== 0;
      members.dataView = this.readView ??= new DataView(read.buffer);
      members.shapeId = ints[10]!;
      // Seconds as unsigned (under 4e9), or -1 / -2 (0xffffffff / 0xfffffffe): see plain-scan.wat.
      const seconds = ints[11]! >>> 0;
      members.occurredMs = seconds >= 0xfffffffe ? ints[11]! : seconds * 1000 + ints[12]!;
      members.pairId = ints[13]!;
      this.lastPayload = payload;
      this.lastStart = start;
    }
    return true;
  }

  /**
   * Whether `lines` is exactly `count` lines, each ending in a line feed, every one a plain
   * event frame (what scanPlainEvent says of it; `out` is given to scanPlainEvent for the lines
   * this scan is not sure of). The store's batches of lines (store/sqlite-lines.ts): one copy
   * into the module's memory, one call per line, no view of each line unless asked of JavaScript.
   */
  scanLines(lines: Uint8Array, count: number, out: PlainEventScan): boolean {
    this.lastPayload = undefined;
    const loaded = lines === this.read || this.load(lines);
    let pos = 0;
    for (let k = 0; k < count; k++) {
      const end = lines.indexOf(0x0a, pos);
      if (end < 0) return false;
      if (!loaded || this.exports.scan(DATA_AT + pos, DATA_AT + end, 0) !== 1) {
        if (!scanPlainEvent(lines.subarray(pos, end), out)) return false;
      }
      pos = end + 1;
    }
    return pos === lines.length;
  }

  /**
   * The store's rows as the row path's lines (plain-scan.wat's storeLines): `types` and
   * `datas` are the `count` rows' event_type and data, each joined by a 0 byte. Undefined
   * when the batch is the row path's (a piece too many or too few, a type JSON.stringify
   * would escape, data without the `{"_version": N, ` prefix, a row over `inline` bytes, a
   * plain line with another top-level `_version`) or too large for the module's memory.
   */
  storeLines(types: Uint8Array, datas: Uint8Array, count: number, inline: number): WasmStoreLines | undefined {
    this.read = undefined;
    // The spans and the data are overwritten: nothing of the last frame can be taught (learnShape).
    this.lastPayload = undefined;
    this.readText = undefined;
    this.readView = undefined;
    const typesAt = DATA_AT;
    const datasAt = typesAt + types.length + 1;
    // Each line is at most its type and data and 20 bytes (the head, `", `, the line feed, less the prefix).
    const outAt = align(datasAt + datas.length + 1 + PADDING);
    const recordsAt = align(outAt + types.length + datas.length + 20 * count + PADDING);
    const needed = recordsAt + 16 * count + PADDING;
    if (needed > MAX_WASM_READ_BYTES || !this.fit(needed)) return undefined;
    const bytes = this.bytes;
    bytes.set(types, typesAt);
    bytes[typesAt + types.length] = 0;
    bytes.set(datas, datasAt);
    bytes[datasAt + datas.length] = 0;
    const unsure = this.exports.storeLines(typesAt, typesAt + types.length, datasAt, datasAt + datas.length, count, inline, outAt, recordsAt, SPANS_AT);
    if (unsure < 0) return undefined;
    const records = new Int32Array(this.exports.memory.buffer, recordsAt, 4 * count);
    // Places in memory, made places in the lines.
    for (let k = 0; k < records.length; k += 4) {
      records[k] = records[k]! - outAt;
      if (records[k + 2]! >= 0) {
        records[k + 2] = records[k + 2]! - outAt;
        records[k + 3] = records[k + 3]! - outAt;
      }
    }
    return { lines: Buffer.from(this.exports.memory.buffer, outAt, records[4 * count - 4]!), records, unsure };
  }

  /** Grows memory to `needed` bytes when it is smaller; false when it cannot. */
  private fit(needed: number): boolean {
    const memory = this.exports.memory;
    if (needed <= memory.buffer.byteLength) return true;
    try {
      memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE_BYTES));
    } catch {
      return false;
    }
    this.bytes = new Uint8Array(memory.buffer);
    this.ints = new Int32Array(memory.buffer, 0, 16);
    // The old views are detached: the record's spans move with the memory.
    if (this.members !== undefined) this.members.spans = this.spansView();
    return true;
  }

  /** Copies `read` into memory (growing it when needed); false when it is too large. */
  private load(read: Uint8Array): boolean {
    this.read = undefined;
    this.lastPayload = undefined;
    this.readText = undefined;
    this.readView = undefined;
    if (read.length > MAX_WASM_READ_BYTES) return false;
    // No memory to spare: this read is scanned in JavaScript.
    if (!this.fit(DATA_AT + read.length + PADDING)) return false;
    this.bytes.set(read, DATA_AT);
    this.read = read;
    this.readOffset = read.byteOffset;
    this.readLength = read.length;
    return true;
  }
}
