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
    // Parsed here, or checked by the database (json_valid) and parsed only when a field is read: the same event.
    for (const checked of [false, true]) {
      const result = toStoredEvent('ToolInvocationCompleted', data, 'mcp_server:math', { engine: 'sqlite', position: 7 }, checked);
      if (!result.ok) throw new Error(result.error);
      const stored = result.value;
      // The line is the stored text (the gateway's formatting) with event_type in front.
      expect(stored.raw).toBe('{"event_type": "ToolInvocationCompleted", "mcp_server_id": "math", "tool_name": "add", "event_id": "e1", "occurred_at": 1795727378.5}');
      expect(JSON.parse(stored.raw)).toEqual(expectedEvent);
      expect(stored.event).toEqual(expectedEvent);
      expect(Object.keys(stored.event)).toEqual(['event_type', 'mcp_server_id', 'tool_name', 'event_id', 'occurred_at']);
      expect([stored.id, stored.occurredAt, stored.streamId, stored.cursor]).toEqual(['e1', 1795727378.5, 'mcp_server:math', { engine: 'sqlite', position: 7 }]);
    }
  });

  it('serialises data that is not in the gateway\'s shape (no leading _version) instead of splicing it', () => {
    const result = toStoredEvent('X', '{"b": 2, "_version": 3, "a": [1, "x"]}', 's', { engine: 'postgres', xid: '9', position: 1 });
    expect(result.ok && result.value.raw).toBe('{"event_type":"X","b":2,"a":[1,"x"]}');
  });

  it('reports rows that are not events instead of throwing', () => {
    expect(toStoredEvent('X', '{not json', 's', { engine: 'sqlite', position: 3 })).toMatchObject({ ok: false, error: expect.stringMatching(/^row 3 \(X\): data is not valid JSON/) });
    expect(toStoredEvent('X', '[1]', 's', { engine: 'sqlite', position: 3 })).toEqual({ ok: false, error: 'row 3 (X): data is not a JSON object' });
    expect(toStoredEvent(null, '{}', 's', { engine: 'postgres', xid: '9', position: 4 })).toEqual({ ok: false, error: 'row 9:4: no event_type' });
  });

  it('keeps a stored __proto__ key as a plain field', () => {
    const result = toStoredEvent('X', '{"__proto__": {"polluted": true}, "a": 1}', 's', { engine: 'sqlite', position: 1 });
    expect(result.ok && Object.getPrototypeOf(result.value.event)).toBe(Object.prototype);
    expect(result.ok && result.value.raw).toBe('{"event_type":"X","__proto__":{"polluted":true},"a":1}');
  });
});
