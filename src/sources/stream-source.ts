// A yield between lines (not a wait on time: it lets the server write to its sockets), so Node's own.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { RuntimeError } from '../errors.js';
import { decodeEventLine } from '../protocol/decode.js';
import type { HangarEvent } from '../protocol/types.js';
import type { EventSink } from '../server/event-sink.js';
import type { EventSource, SourceLog } from './event-source.js';
import { formatBytes } from '../format/bytes.js';
import { sanitizeForLog } from '../protocol/sanitize.js';
import { DEFAULT_MAX_LINE_BYTES, splitNdjsonLines, type NdjsonLine } from './ndjson-lines.js';

/** Lines handled back to back before yielding to the event loop, so the server keeps writing. */
export const LINES_PER_TURN = 1_000;

/** A source that also counts what it did, for the "ended" log line. */
export interface CountingSource extends EventSource {
  /** Events published so far. */
  readonly published: number;
  /** Lines reported as bad (not JSON, not an event, too long). */
  readonly badLines: number;
}

/**
 * Why a line is not an event, or undefined when it is one (blank lines are
 * neither: the caller skips them).
 */
export function checkLine(line: NdjsonLine, maxLineBytes: number): { event: HangarEvent } | { problem: string } | undefined {
  if (line.tooLong) return { problem: `line is ${formatBytes(line.bytes)}, over the ${formatBytes(maxLineBytes)} limit; skipped` };
  if (line.text.trim() === '') return undefined;
  const decoded = decodeEventLine(line.text);
  if (!decoded.ok) return { problem: sanitizeForLog(decoded.error) };
  return { event: decoded.value };
}

/**
 * NDJSON events from a byte stream (serve's `--stdin`): one event per line,
 * published as they are (the hub assigns `event_id`/`occurred_at` when
 * missing). Blank lines are ignored; a bad line is reported as
 * `stdin line 12: <reason>` and counted, and the rest flows on. `run()`
 * resolves when the input ends (or the source is stopped).
 */
export function createStreamSource(name: string, input: AsyncIterable<Buffer | string>, options: { maxLineBytes?: number } = {}): CountingSource {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let stopped = false;
  let published = 0;
  let badLines = 0;
  let onStop: (() => void) | undefined;

  async function pump(sink: EventSink, log: SourceLog): Promise<void> {
    const lines = splitNdjsonLines(input, { maxLineBytes });
    let sinceYield = 0;
    try {
      for await (const line of lines) {
        if (stopped) break;
        const checked = checkLine(line, maxLineBytes);
        if (checked && 'problem' in checked) {
          badLines++;
          log.warn(`${name} line ${line.lineNumber}: ${checked.problem}`);
        } else if (checked) {
          published++;
          sink.publish(checked.event);
        }
        if (++sinceYield >= LINES_PER_TURN) {
          sinceYield = 0;
          await yieldToEventLoop();
        }
      }
    } catch (error) {
      if (stopped) return;
      throw new RuntimeError(`cannot read ${name}`, { cause: error });
    }
  }

  return {
    name,
    get published() {
      return published;
    },
    get badLines() {
      return badLines;
    },
    run(sink, log) {
      if (stopped) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        // stop() resolves at once even while a read is pending on a quiet pipe.
        onStop = resolve;
        pump(sink, log).then(resolve, reject);
      });
    },
    stop() {
      stopped = true;
      onStop?.();
    },
  };
}
