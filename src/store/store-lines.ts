import { scanPlainEvent, type PlainEventScan } from '../protocol/plain-event.js';
import { createWasmPlainScanner, type WasmPlainScanner } from '../protocol/plain-scan-wasm.js';

/**
 * The check a batch of lines made by the database (sqlite-lines.ts, the
 * PostgreSQL reader's readLinesAfter) passes before it is printed: exactly
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
