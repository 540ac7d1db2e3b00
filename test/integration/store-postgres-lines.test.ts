import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres-reader.js';
import { parseStoreLocation } from '../../src/store/location.js';
import type { StoreReader } from '../../src/store/store-reader.js';
import { readWindow, type StoreWindow } from '../../src/store/store-window.js';
import { storeTables } from '../../src/store/table-names.js';
import type { RowLimits } from '../../src/store/row-limits.js';
import { gatewayEvent } from '../helpers/fake-gateway.js';
import { createPostgresSchema, PgGatewayWriter, needsPostgres, startPostgres, type PostgresServer } from '../helpers/postgres.js';

/**
 * The PostgreSQL store's batches of lines (the server joins them with
 * string_agg, the byte scanner checks them) against the row path, over a real
 * server: the same bytes and reports for --history windows, with rows that
 * are not in the plain shape among the gateway's (their batches are the row
 * path's).
 */
needsPostgres().describe('the PostgreSQL store read as batches of lines', () => {
  let server: PostgresServer;
  const readers: StoreReader[] = [];

  beforeAll(async () => {
    server = await startPostgres();
    await createPostgresSchema(server);
  }, 60_000);

  afterAll(async () => {
    for (const r of readers) await r.close();
    await server?.stop();
  });

  async function reader(limits?: RowLimits): Promise<StoreReader> {
    const location = parseStoreLocation(server.url);
    if (location.engine !== 'postgres') throw new Error('not postgres');
    const r = await openPostgresStore({ url: location.url, display: location.display, hasPassword: location.hasPassword, tables: storeTables(undefined), env: {}, ...(limits ? { limits } : {}) });
    readers.push(r);
    return r;
  }

  async function read(r: StoreReader, window: StoreWindow, lines: boolean, batchSize: number): Promise<{ out: string; bad: string[]; count: number; batchesOfLines: number }> {
    const parts: Buffer[] = [];
    const bad: string[] = [];
    let batchesOfLines = 0;
    const result = await readWindow({
      reader: r,
      window,
      batchSize,
      emit: (stored) => parts.push(stored.bytes, Buffer.from('\n')),
      bad: (reason) => bad.push(reason),
      lines: lines
        ? {
            room: () => Number.MAX_SAFE_INTEGER,
            take: (taken, count) => {
              batchesOfLines++;
              expect(taken.toString('utf8').split('\n').length - 1).toBe(count);
              parts.push(Buffer.from(taken));
            },
          }
        : undefined,
    });
    return { out: Buffer.concat(parts).toString('utf8'), bad, count: result.count, batchesOfLines };
  }

  it('prints the same bytes and reports the same rows as the row path', async () => {
    const writer = await PgGatewayWriter.connect(server);
    const plain = (i: number) => gatewayEvent(i % 3 === 0 ? 'ToolInvocationCompleted' : 'HealthCheckPassed', { mcp_server_id: `m${i % 4}`, seq: i, note: i % 5 === 0 ? 'héllo "quoted" \\ back \u2028 😀' : 'plain' });
    await writer.appendAll(Array.from({ length: 120 }, (_, i) => plain(i)));
    // Rows the gateway would not write as it does, between plain ones: JSONB keeps them valid JSON, not all plain.
    const admin = await server.admin();
    const hostile: [string, string][] = [
      ['X', '{"_version": 1, "event_type": "Forged", "a": 1}'],
      ['X', '{"_version": 1, "nested": {"_version": 7}}'],
      ['Quote"Type\\', '{"_version": 1, "q": 1}'],
      ['Ctl\u0001\n\u001f\u007fx', '{"_version": 1, "q": 2}'],
      ['Ünïcødé✓', '{"_version": 1, "q": "ü"}'],
      ['', '{"_version": 1, "q": 3}'],
      ['X', '{"_version": 1}'],
      ['X', '{}'],
      ['X', '[1, 2]'],
      ['X', '"text"'],
      ['X', '42'],
      ['X', `{"_version": 1, "big": "${'z'.repeat(3000)}"}`],
      ['X', `{"_version": 1, "huge": "${'z'.repeat(9000)}"}`],
      ['X', '{"no_version": true}'],
      // Plain, but early: a --since window leaves it out.
      ['X', '{"_version": 1, "occurred_at": 1000, "q": 12}'],
    ];
    let version = 0;
    for (const [type, data] of hostile) {
      await admin.query(`INSERT INTO events (stream_id, stream_version, event_type, data, created_at) VALUES ('s:hostile', $1, $2, $3::jsonb, 'now')`, [version++, type, data]);
      await writer.appendAll(Array.from({ length: 9 }, (_, i) => plain(200 + version * 10 + i)));
    }
    await admin.end();
    await writer.close();
    const r = await reader({ maxRowBytes: 8000, batchBytes: 4 * 1024 * 1024 });
    let usedLines = 0;
    for (const batchSize of [1000, 7]) {
      for (const count of [1, 5, 100, 119, 200, 246, 256, 400]) {
        const window: StoreWindow = { kind: 'last', count };
        const [rows, lines] = [await read(r, window, false, batchSize), await read(r, window, true, batchSize)];
        expect(lines.out, `--history ${count}, batches of ${batchSize}`).toBe(rows.out);
        expect(lines.bad).toEqual(rows.bad);
        expect(lines.count).toBe(rows.count);
        usedLines += lines.batchesOfLines;
      }
    }
    for (const batchSize of [1000, 7]) {
      for (const seconds of [0, 1001, 4e9]) {
        const window: StoreWindow = { kind: 'since', seconds };
        const [rows, lines] = [await read(r, window, false, batchSize), await read(r, window, true, batchSize)];
        expect(lines.out, `--since ${seconds}, batches of ${batchSize}`).toBe(rows.out);
        expect(lines.bad).toEqual(rows.bad);
        expect(lines.count).toBe(rows.count);
        usedLines += lines.batchesOfLines;
      }
    }
    expect((await read(r, { kind: 'since', seconds: 1001 }, true, 7)).out).not.toContain('"q": 12');
    expect(usedLines).toBeGreaterThan(10);
    const whole = await read(r, { kind: 'last', count: 400 }, true, 7);
    // The empty type, the non-objects and the row over the limit are reported, never printed.
    expect(whole.bad.length).toBe(5);
    expect(whole.out).not.toContain('"Forged"');
    for (const line of whole.out.split('\n').slice(0, -1)) expect(() => JSON.parse(line) as unknown).not.toThrow();
  }, 60_000);
});
