/**
 * Splits a byte stream into NDJSON lines with bounded memory: a line longer
 * than `maxLineBytes` is reported (with its number and size) and skipped
 * without ever being held whole. Line numbers count every line, blank ones
 * included, so they match what an editor shows. CRLF line ends are accepted.
 */

/** Longest line kept, in bytes (1 MiB, the same bound as serve's HTTP ingest body). */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

export type NdjsonLine =
  | { readonly lineNumber: number; readonly text: string; readonly tooLong?: undefined }
  | { readonly lineNumber: number; readonly tooLong: true; readonly bytes: number };

export interface SplitOptions {
  maxLineBytes?: number;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/** Yields the lines of `input` (UTF-8), one at a time, 1-based line numbers. */
export async function* splitNdjsonLines(input: AsyncIterable<Buffer | Uint8Array | string>, options: SplitOptions = {}): AsyncGenerator<NdjsonLine> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let parts: Uint8Array[] = [];
  let partBytes = 0;
  let skipping = false;
  let skippedBytes = 0;
  let lineNumber = 0;

  const finish = (): NdjsonLine => {
    lineNumber++;
    if (skipping) {
      const line: NdjsonLine = { lineNumber, tooLong: true, bytes: skippedBytes };
      skipping = false;
      skippedBytes = 0;
      return line;
    }
    let bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, partBytes);
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    parts = [];
    partBytes = 0;
    return { lineNumber, text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') };
  };

  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    while (start <= buf.length) {
      const newline = buf.indexOf(NEWLINE, start);
      const end = newline === -1 ? buf.length : newline;
      const length = end - start;
      if (skipping) {
        skippedBytes += length;
      } else if (partBytes + length > maxLineBytes) {
        // Too long: drop what we hold and count the rest as it streams past.
        skipping = true;
        skippedBytes = partBytes + length;
        parts = [];
        partBytes = 0;
      } else if (length > 0) {
        // Copy: the chunk may be reused by its producer, and a short line must not pin a big chunk.
        parts.push(newline === -1 ? Buffer.from(buf.subarray(start, end)) : buf.subarray(start, end));
        partBytes += length;
      }
      if (newline === -1) break;
      yield finish();
      start = newline + 1;
    }
  }
  if (partBytes > 0 || skipping) yield finish();
}
