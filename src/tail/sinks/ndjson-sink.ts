import type { HangarEvent } from '../../protocol/types.js';
import { WriterSink } from './writer-sink.js';
import type { StreamSource } from '../notices.js';
import type { SinkStart } from './sink.js';

/**
 * `-o ndjson`: each event exactly as the server sent it, one per line, never
 * colored. Line breaks can only be insignificant whitespace in a JSON frame,
 * so they become spaces and the line stays one event.
 */
export class NdjsonSink extends WriterSink {
  start(_context: SinkStart): void {}

  event(_event: HangarEvent, raw: string, _source: StreamSource): void {
    this.writer.write(`${toNdjsonLine(raw)}\n`);
  }

  /** A plain event frame is its own line: its bytes go to stdout as they are. */
  frame(bytes: Buffer, _source: StreamSource): void {
    this.writer.writeLine(bytes);
  }
}

/** The raw frame as one line: CR/LF (whitespace between JSON tokens) become spaces. */
export function toNdjsonLine(raw: string): string {
  const trimmed = raw.trim();
  // includes() is a memchr per character, several times cheaper than a regex test on every event.
  const multiline = trimmed.includes('\n') || trimmed.includes('\r') || trimmed.includes('\u2028') || trimmed.includes('\u2029');
  return multiline ? trimmed.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ') : trimmed;
}
