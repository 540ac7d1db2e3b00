import { describe, expect, it } from 'vitest';
import { parseStoreLocation, redactUrl } from '../../src/store/location.js';
import { storeTables } from '../../src/store/table-names.js';
import { toStoredEvent } from '../../src/store/store-event.js';

describe('--store locations', () => {
  it('reads a path or sqlite:PATH as an SQLite file', () => {
    expect(parseStoreLocation('data/events.db')).toEqual({ engine: 'sqlite', path: 'data/events.db', display: 'sqlite:data/events.db' });
    expect(parseStoreLocation('sqlite:/var/lib/hangar/events.db')).toEqual({ engine: 'sqlite', path: '/var/lib/hangar/events.db', display: 'sqlite:/var/lib/hangar/events.db' });
    expect(parseStoreLocation('sqlite:///var/events.db')).toMatchObject({ path: '/var/events.db' });
  });

  it('reads postgres:// and postgresql:// URLs and never keeps the password in the display form', () => {
    const location = parseStoreLocation('postgresql://hangar:s3cret@db.internal:5433/hangar?sslmode=require');
    expect(location).toMatchObject({ engine: 'postgres', display: 'postgresql://hangar:***@db.internal:5433/hangar?sslmode=require', hasPassword: true });
    expect(parseStoreLocation('postgres://db/hangar')).toMatchObject({ engine: 'postgres', display: 'postgres://db/hangar', hasPassword: false });
    expect(parseStoreLocation('postgresql://')).toMatchObject({ engine: 'postgres', hasPassword: false });
    expect(redactUrl('postgresql://u@h/db?password=hunter2&x=1')).toBe('postgresql://u@h/db?password=***&x=1');
  });

  it('refuses what is not a store, naming the flag and without echoing a password', () => {
    expect(() => parseStoreLocation('')).toThrow(/empty --store/);
    expect(() => parseStoreLocation('sqlite:')).toThrow(/sqlite:data\/events.db/);
    expect(() => parseStoreLocation('mysql://root:pw@db/x')).toThrow(/unsupported --store 'mysql:\/\/root:\*\*\*@db\/x'/);
  });

  it('derives prefixed table names and refuses prefixes that are not identifiers', () => {
    expect(storeTables('hangar_')).toEqual({ prefix: 'hangar_', events: 'hangar_events', snapshots: 'hangar_snapshots' });
    expect(storeTables(undefined).events).toBe('events');
    expect(() => storeTables('x; DROP TABLE events')).toThrow(/--store-table-prefix/);
  });
});

describe('stored rows as socket events', () => {
  it('puts event_type from the column first and drops _version, keeping field order', () => {
    const data = '{"_version": 1, "mcp_server_id": "math", "tool_name": "add", "event_id": "e1", "occurred_at": 1795727378.5}';
    const expectedEvent = { event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', tool_name: 'add', event_id: 'e1', occurred_at: 1795727378.5 };
    // As text or as a BLOB of UTF-8, in the gateway's shape or not: the same event, and the same line in the same shape.
    for (const stored_ of [data, Buffer.from(data)]) {
      const result = toStoredEvent('ToolInvocationCompleted', stored_, { engine: 'sqlite', position: 7 });
      if (!result.ok) throw new Error(result.error);
      const stored = result.value;
      // The line is the stored text (the gateway's formatting) with event_type in front.
      expect(stored.raw).toBe('{"event_type": "ToolInvocationCompleted", "mcp_server_id": "math", "tool_name": "add", "event_id": "e1", "occurred_at": 1795727378.5}');
      expect(JSON.parse(stored.raw)).toEqual(expectedEvent);
      expect(stored.event).toEqual(expectedEvent);
      expect(Object.keys(stored.event)).toEqual(['event_type', 'mcp_server_id', 'tool_name', 'event_id', 'occurred_at']);
      expect([stored.id, stored.occurredAt, stored.cursor]).toEqual(['e1', 1795727378.5, { engine: 'sqlite', position: 7 }]);
    }
  });

  it('serialises data that is not in the gateway\'s shape (no leading _version) instead of splicing it', () => {
    const result = toStoredEvent('X', '{"b": 2, "_version": 3, "a": [1, "x"]}', { engine: 'postgres', xid: '9', position: 1 });
    expect(result.ok && result.value.raw).toBe('{"event_type":"X","b":2,"a":[1,"x"]}');
  });

  it('reports rows that are not events instead of throwing', () => {
    expect(toStoredEvent('X', '{not json', { engine: 'sqlite', position: 3 })).toMatchObject({ ok: false, error: expect.stringMatching(/^row 3 \(X\): data is not valid JSON/) });
    expect(toStoredEvent('X', '[1]', { engine: 'sqlite', position: 3 })).toEqual({ ok: false, error: 'row 3 (X): data is not a JSON object' });
    expect(toStoredEvent(null, '{}', { engine: 'postgres', xid: '9', position: 4 })).toEqual({ ok: false, error: 'row 9:4: no event_type' });
  });

  it('gives the event_type column as the one event_type key, whatever the data holds', () => {
    const at = { engine: 'sqlite', position: 5 } as const;
    for (const data of [
      '{"_version": 1, "event\\u005ftype": "Forged", "a": 1}',
      '{"_version": 1, "a": 1, "event_type": "Forged"}',
      '{"_version": 1, "a": 1, "ev\\u0065nt_type": "Forged", "event_type": "Forged"}',
      '{"event\\u005ftype": "Forged", "a": 1}',
    ]) {
      const result = toStoredEvent('Real', data, at);
      if (!result.ok) throw new Error(result.error);
      expect(result.value.raw).toBe('{"event_type":"Real","a":1}');
      expect(result.value.bytes.toString()).toBe(result.value.raw);
      expect(result.value.event).toEqual({ event_type: 'Real', a: 1 });
    }
    // An escaped key that is not event_type is kept, decoded (the line is then serialised anew).
    const other = toStoredEvent('Real', '{"_version": 1, "\\u0061": 1}', at);
    expect(other.ok && other.value.raw).toBe('{"event_type":"Real","a":1}');
  });

  it('reads a BLOB as its UTF-8 text, never as a Buffer object, and reports one that is not text', () => {
    const at = { engine: 'sqlite', position: 9 } as const;
    const text = toStoredEvent('X', '{"_version": 1, "note": "ünï ✓"}', at);
    const blob = toStoredEvent('X', Buffer.from('{"_version": 1, "note": "ünï ✓"}'), at);
    expect(blob.ok && blob.value.raw).toBe('{"event_type": "X", "note": "ünï ✓"}');
    expect(blob.ok && blob.value.raw).toBe(text.ok && text.value.raw);
    const other = toStoredEvent('X', new Uint8Array(Buffer.from('{"a": [1, 2]}')), at);
    expect(other.ok && other.value.raw).toBe('{"event_type":"X","a":[1,2]}');
    expect(toStoredEvent('X', Buffer.from([0x7b, 0xff, 0x7d]), at)).toEqual({ ok: false, error: 'row 9 (X): data is a BLOB of 3 bytes that is not UTF-8 text' });
    expect(toStoredEvent('X', 42, at)).toEqual({ ok: false, error: 'row 9 (X): data is not JSON text (number)' });
    expect(toStoredEvent('X', null, at)).toEqual({ ok: false, error: 'row 9 (X): data is not JSON text (NULL)' });
  });

  it('takes the stored text only when the byte scanner accepts the line, else parses and serialises: never a malformed line', () => {
    const at = { engine: 'sqlite', position: 2 } as const;
    // Valid in the gateway's shape: the stored text as it is.
    const plain = toStoredEvent('X', '{"_version": 1, "a": {"b": [true, null, -1.5e3]}, "s": "\\n\\"q\\""}', at);
    expect(plain.ok && plain.value.raw).toBe('{"event_type": "X", "a": {"b": [true, null, -1.5e3]}, "s": "\\n\\"q\\""}');
    // A line break between tokens, or a second top-level _version (every one is dropped): parsed, serialised in one line.
    const broken = toStoredEvent('X', '{"_version": 1, "a": 1,\n "b": 2}', at);
    expect(broken.ok && broken.value.raw).toBe('{"event_type":"X","a":1,"b":2}');
    const twice = toStoredEvent('X', '{"_version": 1, "a": 1, "_version": 2}', at);
    expect(twice.ok && twice.value.raw).toBe('{"event_type":"X","a":1}');
    // A nested _version is an ordinary field (the stored text, as it is).
    const nested = toStoredEvent('X', '{"_version": 1, "a": {"_version": 2}}', at);
    expect(nested.ok && nested.value.raw).toBe('{"event_type": "X", "a": {"_version": 2}}');
    expect(nested.ok && nested.value.event).toEqual({ event_type: 'X', a: { _version: 2 } });
    // Starts like the gateway's text and is not JSON: reported.
    for (const data of ['{"_version": 1, "a": }', '{"_version": 1, "a": "\u0001"}', '{"_version": 1, "a": 1} trailing', '{"_version": 1, "a": 1']) {
      expect(toStoredEvent('X', data, at)).toMatchObject({ ok: false, error: expect.stringMatching(/^row 2 \(X\): data is not valid JSON/) });
    }
  });

  it('reads occurred_at where the scanner found it: the number the parsed event holds, or none', () => {
    const at = { engine: 'sqlite', position: 4 } as const;
    const cases: Array<[string, number | undefined]> = [
      ['"occurred_at": 1795727378.4531293', 1795727378.4531293],
      ['"occurred_at": -0', -0],
      ['"occurred_at": 1E-3', 0.001],
      ['"occurred_at": 12e+2', 1200],
      ['"occurred_at": 1e400', Infinity],
      ['"occurred_at": "2026-12-01T08:00:00Z"', undefined],
      ['"occurred_at": null', undefined],
      ['"occurred_at": [1]', undefined],
      ['"nested": {"occurred_at": 5}', undefined],
      ['"occurred_at": 5, "occurred_at": 6', 6],
      ['"occurred_at": 5, "occurred_at": "six"', undefined],
      ['"occurred_at": {"occurred_at": 5}, "x": 1', undefined],
    ];
    for (const [fields, expected] of cases) {
      const result = toStoredEvent('X', `{"_version": 1, "event_id": "e", ${fields}}`, at);
      if (!result.ok) throw new Error(result.error);
      const parsed = result.value.event.occurred_at;
      expect([fields, result.value.occurredAt]).toEqual([fields, expected]);
      expect(result.value.occurredAt).toBe(typeof parsed === 'number' ? parsed : undefined);
    }
  });

  it('keeps a stored __proto__ key as a plain field', () => {
    const result = toStoredEvent('X', '{"__proto__": {"polluted": true}, "a": 1}', { engine: 'sqlite', position: 1 });
    expect(result.ok && Object.getPrototypeOf(result.value.event)).toBe(Object.prototype);
    expect(result.ok && result.value.raw).toBe('{"event_type":"X","__proto__":{"polluted":true},"a":1}');
  });
});
