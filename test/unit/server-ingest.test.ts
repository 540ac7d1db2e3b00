import { describe, expect, it } from 'vitest';
import { parseIngestBody } from '../../src/server/ingest.js';

describe('parseIngestBody', () => {
  it('accepts one object, a pretty-printed object, an array and NDJSON with blank and CRLF lines', () => {
    expect(parseIngestBody('{"event_type":"A"}')).toEqual({ ok: true, events: [{ event_type: 'A' }] });
    expect(parseIngestBody('{\n  "event_type": "A"\n}\n')).toEqual({ ok: true, events: [{ event_type: 'A' }] });
    expect(parseIngestBody('[{"event_type":"A"},{"event_type":"B"}]')).toMatchObject({ ok: true, events: [{ event_type: 'A' }, { event_type: 'B' }] });
    expect(parseIngestBody('\ufeff{"event_type":"A"}\r\n\r\n{"event_type":"B"}\r\n')).toMatchObject({ ok: true, events: [{ event_type: 'A' }, { event_type: 'B' }] });
  });

  it('names the first bad line or array item', () => {
    expect(parseIngestBody('{"event_type":"A"}\n\n{"event_type":""}\n')).toEqual({
      ok: false,
      error: { line: 3, message: 'line 3: an event needs a non-empty string "event_type"' },
    });
    const truncated = parseIngestBody('{"event_type":"A"}\n{"event_type":"B');
    expect(truncated).toMatchObject({ ok: false, error: { line: 2 } });
    expect(parseIngestBody('[{"event_type":"A"}, "x"]')).toEqual({ ok: false, error: { line: 2, message: 'array item 2: an event must be a JSON object' } });
    expect(parseIngestBody('42')).toMatchObject({ ok: false, error: { line: 1 } });
    expect(parseIngestBody('   ')).toMatchObject({ ok: false, error: { line: 1 } });
    expect(parseIngestBody('\u0000\u0001binary\n')).toMatchObject({ ok: false, error: { line: 1 } });
  });
});
