import { describe, expect, it } from 'vitest';
import { batchRefusedBody, decodeBatchRefused, decodeEventBatch } from '../../src/protocol/event-batch.js';

describe('decodeEventBatch', () => {
  it('accepts one object, a pretty-printed object, an array and NDJSON with blank and CRLF lines', () => {
    expect(decodeEventBatch('{"event_type":"A"}')).toEqual({ ok: true, events: [{ event_type: 'A' }], lines: [1], unit: 'line' });
    expect(decodeEventBatch('{\n  "event_type": "A"\n}\n')).toEqual({ ok: true, events: [{ event_type: 'A' }], lines: [1], unit: 'line' });
    expect(decodeEventBatch('[{"event_type":"A"},{"event_type":"B"}]')).toMatchObject({ ok: true, events: [{ event_type: 'A' }, { event_type: 'B' }] });
    expect(decodeEventBatch('\ufeff{"event_type":"A"}\r\n\r\n{"event_type":"B"}\r\n')).toMatchObject({ ok: true, events: [{ event_type: 'A' }, { event_type: 'B' }], lines: [1, 3] });
  });

  it('refuses an event nested deeper than serve can serialize, naming its line (issue 22 #3: it was published as a silent 202)', () => {
    const deep = (depth: number) => `{"event_type":"Deep","data":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const reason = 'the event is nested deeper than 1000 levels of objects and arrays; flatten it';
    expect(decodeEventBatch(['{"event_type":"A"}', deep(10_000), '{"event_type":"C"}'].join('\n'))).toEqual({
      ok: false,
      error: { line: 2, unit: 'line', reason, message: `line 2: ${reason}` },
    });
    expect(decodeEventBatch(deep(5000))).toMatchObject({ ok: false, error: { line: 1, reason } });
    expect(decodeEventBatch(`[{"event_type":"A"},${deep(2000)}]`)).toMatchObject({ ok: false, error: { line: 2, unit: 'item', reason } });
    // The event object is level 1: 998 brackets inside "data" make 999 levels, within the bound.
    expect(decodeEventBatch(deep(998))).toMatchObject({ ok: true });
    expect(decodeEventBatch(deep(999))).toMatchObject({ ok: true });
    expect(decodeEventBatch(deep(1000))).toMatchObject({ ok: false });
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
