import { decodeEventLine, decodeIngestedEvent, parseJson } from './decode.js';
import type { HangarEvent } from './types.js';

/**
 * The event batch of `POST /api/events` (PROTOCOL.md Part 2), one format for
 * both ends: serve's ingest decodes it, publish checks its input the same
 * way and reads serve's refusals. A batch is one JSON object, a JSON array
 * of objects, or NDJSON (one object per line, blank lines ignored), all or
 * nothing: the first bad line (or array item) refuses the whole batch.
 */

/** Largest accepted POST /api/events body. */
export const MAX_INGEST_BODY_BYTES = 1024 * 1024;

/** Where a batch went wrong: the 1-based line (or array item) and why, in a sentence. */
export interface BatchRefusal {
  readonly line: number;
  readonly unit: 'line' | 'item';
  /** What is wrong with that line or item, e.g. `an event needs a non-empty string "event_type"`. */
  readonly reason: string;
  /** `line 3: <reason>` / `array item 2: <reason>`. */
  readonly message: string;
}

/** A decoded batch: its events, and for each the 1-based line (or array item) it came from. */
export type BatchDecode = { ok: true; events: HangarEvent[]; lines: number[]; unit: 'line' | 'item' } | { ok: false; error: BatchRefusal };

/** Text without a leading byte order mark. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function refusal(line: number, unit: 'line' | 'item', reason: string): BatchRefusal {
  return { line, unit, reason, message: `${unit === 'item' ? 'array item' : 'line'} ${line}: ${reason}` };
}

/** Decodes the items of a JSON array batch; `problems` lists every bad item (1-based). */
export function decodeEventItems(values: readonly unknown[]): { events: HangarEvent[]; problems: BatchRefusal[] } {
  const events: HangarEvent[] = [];
  const problems: BatchRefusal[] = [];
  for (let i = 0; i < values.length; i++) {
    const decoded = decodeIngestedEvent(values[i]);
    if (decoded.ok) events.push(decoded.value);
    else problems.push(refusal(i + 1, 'item', decoded.error));
  }
  return { events, problems };
}

/** Decodes a whole POST /api/events body; never throws. */
export function decodeEventBatch(body: string): BatchDecode {
  const text = stripBom(body);
  if (text.trim().length === 0) return { ok: false, error: refusal(1, 'line', 'the body is empty; send a JSON object, a JSON array or NDJSON') };
  const whole = parseJson(text);
  if (whole.ok) {
    if (Array.isArray(whole.value)) {
      const { events, problems } = decodeEventItems(whole.value);
      return problems.length > 0 ? { ok: false, error: problems[0]! } : { ok: true, events, lines: events.map((_, i) => i + 1), unit: 'item' };
    }
    const decoded = decodeIngestedEvent(whole.value);
    if (!decoded.ok) return { ok: false, error: refusal(1, 'line', decoded.error) };
    return { ok: true, events: [decoded.value], lines: [1], unit: 'line' };
  }
  const events: HangarEvent[] = [];
  const numbers: number[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim().length === 0) continue;
    const decoded = decodeEventLine(line);
    if (!decoded.ok) return { ok: false, error: refusal(i + 1, 'line', decoded.error) };
    events.push(decoded.value);
    numbers.push(i + 1);
  }
  return { ok: true, events, lines: numbers, unit: 'line' };
}

/** serve's 400 answer to a refused batch: the line, the bare reason, and a sentence for people. */
export interface BatchRefusedBody {
  readonly error: 'bad_event';
  readonly line: number;
  readonly unit: 'line' | 'item';
  readonly reason: string;
  readonly message: string;
}

/** The refusal of a batch whose event at `index` could not be published (see Hub.publishAll). */
export function unpublishableRefusal(batch: Extract<BatchDecode, { ok: true }>, index: number): BatchRefusal {
  return refusal(batch.lines[index] ?? index + 1, batch.unit, 'the event could not be serialized for subscribers (nested too deep?)');
}

export function batchRefusedBody(error: BatchRefusal): BatchRefusedBody {
  return { error: 'bad_event', line: error.line, unit: error.unit, reason: error.reason, message: `nothing was published: ${error.message}` };
}

/**
 * Reads a 400 answer back (publish): the refused line and its reason, when
 * the server sent them as fields. A server without them gives undefined
 * fields; its `message` is then shown whole, never picked apart.
 */
export function decodeBatchRefused(body: unknown): { line: number | undefined; reason: string | undefined } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { line: undefined, reason: undefined };
  const { line, reason } = body as Record<string, unknown>;
  return {
    line: typeof line === 'number' && Number.isInteger(line) && line >= 1 ? line : undefined,
    reason: typeof reason === 'string' && reason.trim() !== '' ? reason : undefined,
  };
}
