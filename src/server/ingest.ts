import { decodeEvent, decodeEventLine, parseJson } from '../protocol/decode.js';
import type { HangarEvent } from '../protocol/types.js';

/** Largest accepted POST /api/events body. */
export const MAX_INGEST_BODY_BYTES = 1024 * 1024;

/** A refused ingest batch: the 1-based line (or array item) and what is wrong with it. */
export interface IngestError {
  readonly line: number;
  readonly message: string;
}

export type IngestParse = { ok: true; events: HangarEvent[] } | { ok: false; error: IngestError };

/**
 * Parses a POST /api/events body: one JSON object, a JSON array of objects,
 * or NDJSON (one object per line, blank lines ignored). All or nothing: the
 * first bad line (or array item) refuses the whole batch.
 */
export function parseIngestBody(body: string): IngestParse {
  const text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  if (text.trim().length === 0) return { ok: false, error: { line: 1, message: 'the body is empty; send a JSON object, a JSON array or NDJSON' } };
  const whole = parseJson(text);
  if (whole.ok) {
    if (Array.isArray(whole.value)) {
      const events: HangarEvent[] = [];
      for (let i = 0; i < whole.value.length; i++) {
        const decoded = decodeEvent(whole.value[i]);
        if (!decoded.ok) return { ok: false, error: { line: i + 1, message: `array item ${i + 1}: ${decoded.error}` } };
        events.push(decoded.value);
      }
      return { ok: true, events };
    }
    const decoded = decodeEvent(whole.value);
    if (!decoded.ok) return { ok: false, error: { line: 1, message: `line 1: ${decoded.error}` } };
    return { ok: true, events: [decoded.value] };
  }
  const events: HangarEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim().length === 0) continue;
    const decoded = decodeEventLine(line);
    if (!decoded.ok) return { ok: false, error: { line: i + 1, message: `line ${i + 1}: ${decoded.error}` } };
    events.push(decoded.value);
  }
  return { ok: true, events };
}
