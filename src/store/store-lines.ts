import { scanPlainEvent, type PlainEventScan } from '../protocol/plain-event.js';
import { createWasmPlainScanner, type WasmPlainScanner } from '../protocol/plain-scan-wasm.js';

/**
 * The check a batch of lines made by the database (the PostgreSQL reader's
 * readLinesAfter; SQLite's are made by StoreLineAssembler below) passes
 * before it is printed: exactly
 * `count` lines, each a plain event frame for the byte scanner (the
 * WebAssembly one over the whole batch, scanPlainEvent where it is not sure),
 * and no `"_version"` anywhere (the row path drops a second top-level
 * `_version`; a nested one is left to the row path as well).
 */
export class StoreLineCheck {
  private scanner: WasmPlainScanner | undefined | null;
  private readonly out: PlainEventScan = { idStart: -1, idEnd: -1 };
  private readonly timed: PlainEventScan = { idStart: -1, idEnd: -1, atStart: -1, atEnd: -1, versioned: false };

  /**
   * `sinceSeconds` (a --since window): also no line whose top-level occurred_at is a number
   * before it (the window would leave that row out: the row path reads such a batch). The time
   * is found as the row path finds it (scanPlainEvent, then Number of the number's text).
   */
  accepts(lines: Buffer, count: number, sinceSeconds?: number): boolean {
    if (lines.indexOf(VERSION_KEY) >= 0) return false;
    if (sinceSeconds !== undefined) return this.acceptsSince(lines, count, sinceSeconds);
    if (this.scanner === undefined) this.scanner = createWasmPlainScanner() ?? null;
    if (this.scanner !== null) return this.scanner.scanLines(lines, count, this.out);
    let pos = 0;
    for (let k = 0; k < count; k++) {
      const end = lines.indexOf(0x0a, pos);
      if (end < 0 || !scanPlainEvent(lines.subarray(pos, end), this.out)) return false;
      pos = end + 1;
    }
    return pos === lines.length;
  }

  private acceptsSince(lines: Buffer, count: number, sinceSeconds: number): boolean {
    const scan = this.timed;
    let pos = 0;
    for (let k = 0; k < count; k++) {
      const end = lines.indexOf(0x0a, pos);
      if (end < 0 || !scanPlainEvent(lines.subarray(pos, end), scan) || scan.versioned) return false;
      if (scan.atEnd! > scan.atStart! && Number(lines.toString('latin1', pos + scan.atStart!, pos + scan.atEnd!)) < sinceSeconds) return false;
      pos = end + 1;
    }
    return pos === lines.length;
  }
}

const VERSION_KEY = Buffer.from('"_version"');

/** A batch of rows as their lines (StoreLineAssembler.assemble): valid until the assembler's next call. */
export interface AssembledLines {
  readonly lines: Buffer;
}

/**
 * The store's rows made into the row path's lines (store-event.ts,
 * toStoredEvent: `{"event_type": ` + JSON.stringify(type) + `, ` + the data
 * after its `{"_version": N, ` + a line feed) from what SQLite joins without
 * a function per row: the batch's event_types joined by 0 bytes, and its
 * datas likewise (sqlite-lines.ts). In WebAssembly (plain-scan.wat's
 * storeLines: the split, the checks and the scan of each line in one call),
 * else in JavaScript (`node --jitless`), with the same answers.
 *
 * A batch is the row path's (undefined) unless every row is plainly in the
 * gateway's shape and its line is a plain event frame: exactly `count` pieces
 * on both sides (a NULL skipped by SQLite, or a 0 byte inside a row, shifts
 * them), a type of printable ASCII without a quote or a backslash (so its
 * JSON is the type between quotes), data with the row path's prefix, a row
 * within `inline` bytes (type and data, as the row path counts them), a line
 * the byte scanner finds plain (valid UTF-8 included) with no top-level
 * `_version` after the prefix (the row path drops it and serialises again).
 * So whatever the row path reports or re-serialises is never in a batch of
 * lines. `sinceSeconds` (a --since window): also no line whose top-level
 * occurred_at is a number before it (found as the row path finds it).
 */
export class StoreLineAssembler {
  private scanner: WasmPlainScanner | undefined | null;
  private readonly timed: PlainEventScan = { idStart: -1, idEnd: -1, atStart: -1, atEnd: -1, versioned: false };
  /** The JavaScript assembly's line heads by type (a store has a few dozen types). */
  private readonly heads = new Map<string, Uint8Array>();

  /** `wasm: false`: always the JavaScript assembly (what runtimes without WebAssembly get). */
  constructor(private readonly options: { wasm?: boolean } = {}) {}

  assemble(types: Buffer, datas: Buffer, count: number, inline: number, sinceSeconds?: number): AssembledLines | undefined {
    if (this.scanner === undefined) this.scanner = this.options.wasm === false ? null : (createWasmPlainScanner() ?? null);
    if (this.scanner === null) return this.assembleInJs(types, datas, count, inline, sinceSeconds);
    const made = this.scanner.storeLines(types, datas, count, inline);
    if (made === undefined) return undefined;
    const { lines, records } = made;
    if (made.unsure === 0 && sinceSeconds === undefined) return made;
    const scan = this.timed;
    let start = 0;
    for (let k = 0; k < records.length; k += 4) {
      const end = records[k]!;
      let atStart = records[k + 2]!;
      let atEnd = records[k + 3]!;
      if (records[k + 1] === 0) {
        if (!scanPlainEvent(lines.subarray(start, end - 1), scan) || scan.versioned) return undefined;
        atStart = scan.atStart! < 0 ? -1 : start + scan.atStart!;
        atEnd = start + scan.atEnd!;
      }
      if (sinceSeconds !== undefined && atStart >= 0 && Number(lines.toString('latin1', atStart, atEnd)) < sinceSeconds) return undefined;
      start = end;
    }
    return made;
  }

  /** What storeLines does, in JavaScript (builtins over Buffer's wrappers, a head per type: it runs where nothing is compiled). */
  private assembleInJs(types: Buffer, datas: Buffer, count: number, inline: number, sinceSeconds: number | undefined): AssembledLines | undefined {
    const lines = Buffer.allocUnsafe(types.length + datas.length + 20 * count);
    const scan = this.timed;
    let t = 0;
    let d = 0;
    let used = 0;
    for (let k = 0; k < count; k++) {
      const last = k === count - 1;
      const typeEnd = last ? types.length : types.indexOf(0, t);
      const dataEnd = last ? datas.length : datas.indexOf(0, d);
      if (typeEnd <= t || dataEnd < d || typeEnd - t + dataEnd - d > inline) return undefined;
      const head = this.headOf(types, t, typeEnd);
      if (head === undefined) return undefined;
      const skip = versionPrefixLength(datas, d, dataEnd);
      if (skip < 0) return undefined;
      const start = used;
      lines.set(head, used);
      used += head.length;
      lines.set(datas.subarray(d + skip, dataEnd), used);
      used += dataEnd - d - skip;
      // A 0 byte is no JSON: a piece holding one (or too few pieces) is refused by the scan or the counts.
      if (!scanPlainEvent(lines.subarray(start, used), scan) || scan.versioned) return undefined;
      if (sinceSeconds !== undefined && scan.atEnd! > scan.atStart! && Number(lines.toString('latin1', start + scan.atStart!, start + scan.atEnd!)) < sinceSeconds) return undefined;
      lines[used++] = 0x0a;
      t = typeEnd + 1;
      d = dataEnd + 1;
    }
    // Every piece used, none left over.
    if (t !== types.length + 1 || d !== datas.length + 1) return undefined;
    return { lines: lines.subarray(0, used) };
  }

  /** `{"event_type": "T", ` for the type in types[start, end), or undefined when JSON.stringify would escape it (or it is not ASCII). */
  private headOf(types: Buffer, start: number, end: number): Uint8Array | undefined {
    const type = types.toString('latin1', start, end);
    let head = this.heads.get(type);
    if (head === undefined) {
      for (let i = start; i < end; i++) {
        const c = types[i]!;
        if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return undefined;
      }
      if (this.heads.size >= 1024) this.heads.clear();
      head = Buffer.from(`{"event_type": "${type}", `, 'latin1');
      this.heads.set(type, head);
    }
    return head;
  }
}


/** store-event.ts's versionPrefixLength over bytes: the length of `{"_version": N, ` at data[start], or -1. */
function versionPrefixLength(data: Buffer, start: number, end: number): number {
  // `{"_version":`, byte by byte (no call: it runs where nothing is compiled too).
  const d = start;
  if (end - d < 12 || data[d] !== 0x7b || data[d + 1] !== 0x22 || data[d + 2] !== 0x5f || data[d + 3] !== 0x76 || data[d + 4] !== 0x65 || data[d + 5] !== 0x72) return -1;
  if (data[d + 6] !== 0x73 || data[d + 7] !== 0x69 || data[d + 8] !== 0x6f || data[d + 9] !== 0x6e || data[d + 10] !== 0x22 || data[d + 11] !== 0x3a) return -1;
  let i = d + 12;
  while (i < end && data[i] === 0x20) i++;
  if (i < end && data[i] === 0x2d) i++;
  const digits = i;
  while (i < end && data[i]! >= 0x30 && data[i]! <= 0x39) i++;
  if (i === digits || i >= end || data[i] !== 0x2c) return -1;
  i++;
  while (i < end && data[i] === 0x20) i++;
  return i < end && data[i] === 0x7d ? -1 : i - start;
}
