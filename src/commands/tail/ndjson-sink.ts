import type { HangarEvent } from '../../protocol/types.js';
import { OutputWriter } from './output-writer.js';
import type { SinkStart, StreamSource, TailNotice, TailSink } from './sink.js';
import type { StatusReporter } from './status.js';
import type { OutputStream } from '../../io/io.js';

/**
 * `-o ndjson`: each event exactly as the server sent it, one per line, never
 * colored. Line breaks can only be insignificant whitespace in a JSON frame,
 * so they become spaces and the line stays one event.
 */
export class NdjsonSink implements TailSink {
  private readonly writer: OutputWriter;

  constructor(
    stdout: OutputStream,
    private readonly status: StatusReporter,
  ) {
    this.writer = new OutputWriter(stdout);
  }

  start(_context: SinkStart): void {}

  event(_event: HangarEvent, raw: string, _source: StreamSource): void {
    this.writer.write(`${toNdjsonLine(raw)}\n`);
  }

  notice(notice: TailNotice): void {
    this.status.notice(notice);
  }

  canWrite(): boolean {
    return this.writer.canWrite();
  }

  whenWritable(): Promise<void> {
    return this.writer.whenWritable();
  }

  async close(): Promise<void> {
    this.writer.close();
    this.status.close();
  }
}

/** The raw frame as one line: CR/LF (whitespace between JSON tokens) become spaces. */
export function toNdjsonLine(raw: string): string {
  const trimmed = raw.trim();
  // includes() is a memchr per character, several times cheaper than a regex test on every event.
  const multiline = trimmed.includes('\n') || trimmed.includes('\r') || trimmed.includes('\u2028') || trimmed.includes('\u2029');
  return multiline ? trimmed.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ') : trimmed;
}
