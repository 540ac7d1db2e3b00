import type { HangarEvent } from '../../protocol/types.js';
import { WriterSink } from './writer-sink.js';
import type { SourceRef } from '../../feed/messages.js';
import type { SinkStart } from './sink.js';
import { escapeJsonForTerminal } from '../../protocol/sanitize.js';

/**
 * `-o ndjson`: each event exactly as the server sent it, one per line, never
 * colored. Line breaks can only be insignificant whitespace in a JSON frame,
 * so they become spaces and the line stays one event.
 */
export class NdjsonSink extends WriterSink {
  start(_context: SinkStart): void {}

  event(_event: HangarEvent, raw: string, _source: SourceRef): void {
    this.writer.write(`${toNdjsonLine(raw)}\n`);
  }

  /** A plain event frame is its own line: its bytes go to stdout as they are. */
  frame(bytes: Buffer, _source: SourceRef): void {
    this.writer.writeLine(bytes);
  }

  /** Runs of plain event frames, already lines (each frame and a line feed). */
  frameLines(lines: Uint8Array, _source: SourceRef): void {
    this.writer.writeLines(lines);
  }
}

/**
 * `-o ndjson` on a terminal: the same lines, with what a terminal must not
 * get raw inside a string (DEL, C1 controls, bidi and invisible characters)
 * written as its JSON escape, so a line parses to the same event and a
 * hostile peer cannot drive the terminal. No frame lanes: each event's line
 * is checked.
 */
export class TerminalNdjsonSink extends WriterSink {
  start(_context: SinkStart): void {}

  event(_event: HangarEvent, raw: string, _source: SourceRef): void {
    this.writer.write(`${escapeJsonForTerminal(toNdjsonLine(raw))}\n`);
  }
}

/**
 * The raw frame as one line, otherwise byte for byte: CR and LF can only be
 * whitespace between JSON tokens (inside strings they are escaped), so they
 * become spaces; surrounding JSON whitespace (space, tab, CR, LF) is trimmed.
 * U+2028/U+2029 are kept: inside a JSON string they are plain characters and
 * no NDJSON reader splits on them.
 */
export function toNdjsonLine(raw: string): string {
  const trimmed = isJsonSpace(raw.charCodeAt(0)) || isJsonSpace(raw.charCodeAt(raw.length - 1)) ? raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '') : raw;
  // includes() is a memchr per character, several times cheaper than a regex test on every event.
  const multiline = trimmed.includes('\n') || trimmed.includes('\r');
  return multiline ? trimmed.replace(/\r\n|[\r\n]/g, ' ') : trimmed;
}

function isJsonSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}
