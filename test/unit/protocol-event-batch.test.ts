import { describe, expect, it } from 'vitest';
import { batchRefusedBody, decodeBatchRefused, decodeEventBatch } from '../../src/protocol/event-batch.js';

describe('decodeEventBatch', () => {
  it('accepts one object, a pretty-printed object, an array and NDJSON with blank and CRLF lines', () => {
    expect(decodeEventBatch('{"event_type":"A"}')).toEqual({ ok: true, events: [{ event_type: 'A' }] });
    expect(decodeEventBatch('{\n  "event_type": "A"\n}\n')).toEqual({ ok: true, events: [{ event_type: 'A' }] });
    expect(decodeEventBatch('[{"event_type":"A"},{"event_type":"B"}]')).toMatchObject({ ok: true, events: [{ event_type: 'A' }, { event_type: 'B' }] });
    expect(decodeEventBatch('\ufeff{"event_type":"A"}\r\n\r\n{"event_type":"B"}\r\n')).toMatchObject({ ok: true, events: [{ event_type: 'A' }, { event_type: 'B' }] });
  });

  it('names the first bad line or array item', () => {
    expect(decodeEventBatch('{"event_type":"A"}\n\n{"event_type":""}\n')).toEqual({
      ok: false,
      error: { line: 3, unit: 'line', reason: 'an event needs a non-empty string "event_type"', message: 'line 3: an event needs a non-empty string "event_type"' },
    });
    const truncated = decodeEventBatch('{"event_type":"A"}\n{"event_type":"B');
    expect(truncated).toMatchObject({ ok: false, error: { line: 2 } });
    expect(decodeEventBatch('[{"event_type":"A"}, "x"]')).toEqual({
      ok: false,
      error: { line: 2, unit: 'item', reason: 'an event must be a JSON object', message: 'array item 2: an event must be a JSON object' },
    });
    expect(decodeEventBatch('42')).toMatchObject({ ok: false, error: { line: 1 } });
    expect(decodeEventBatch('   ')).toMatchObject({ ok: false, error: { line: 1 } });
    expect(decodeEventBatch('\u0000\u0001binary\n')).toMatchObject({ ok: false, error: { line: 1 } });
  });
});

describe('the refusal, as serve sends it and publish reads it', () => {
  it('carries the line and the bare reason as fields, so no client parses the English sentence', () => {
    const decoded = decodeEventBatch('{"event_type":"A"}\n{"event_type":""}\n');
    expect(decoded.ok).toBe(false);
    const body = batchRefusedBody((decoded as { ok: false; error: Parameters<typeof batchRefusedBody>[0] }).error);
    expect(body).toEqual({ error: 'bad_event', line: 2, unit: 'line', reason: 'an event needs a non-empty string "event_type"', message: 'nothing was published: line 2: an event needs a non-empty string "event_type"' });
    expect(decodeBatchRefused(JSON.parse(JSON.stringify(body)))).toEqual({ line: 2, reason: 'an event needs a non-empty string "event_type"' });
    // An older server (or another one) without the fields: nothing is guessed from its message.
    expect(decodeBatchRefused({ error: 'bad_event', line: 3, message: 'nothing was published: line 3: too big' })).toEqual({ line: 3, reason: undefined });
    expect(decodeBatchRefused('oops')).toEqual({ line: undefined, reason: undefined });
  });
});
