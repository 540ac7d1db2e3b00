import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { requireProgram } from '../helpers/require-program.js';
import { openSqliteStore } from '../../src/store/sqlite-reader.js';
import type { ReadAheadTuning } from '../../src/store/sqlite-read-ahead.js';
import type { StoreReader } from '../../src/store/store-reader.js';
import { storeTables } from '../../src/store/table-names.js';
import { readWindow, type StoreWindow } from '../../src/store/store-window.js';
import { gatewayEvent } from '../helpers/fake-gateway.js';
import type { SqliteGatewayStore } from '../helpers/event-store.js';
import { HOSTILE, readOut, writeLinesStore, type Read } from '../helpers/store-lines.js';
import { BIN, e2eEnv, runCli } from '../helpers/spawn.js';

/**
 * A long read of an SQLite store on two threads (store/sqlite-read-ahead.ts:
 * the main thread from the first batch on, a helper thread from the last one
 * back) prints what the row path prints, byte for byte, with the same rows
 * reported: whoever reads which batch, with gaps in the positions, malformed
 * rows in the helper's batches, a helper that stops early or dies, and
 * windows longer than a region. Small regions here (the tuning), so the
 * stores stay small; the CLI case uses the real sizes.
 */

let dir: string;
const open: (StoreReader | SqliteGatewayStore)[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-read-ahead-'));
});
afterEach(async () => {
  for (const thing of open.splice(0)) await thing.close();
  rmSync(dir, { recursive: true, force: true });
});

function writeStore(rows: number, at: readonly number[], earlyAt: readonly number[] = []): SqliteGatewayStore {
  const store = writeLinesStore(join(dir, 'events.db'), rows, at, earlyAt);
  open.push(store);
  return store;
}

/** Who read the batches printed as lines, and the helper. */
interface Seen {
  main: number;
  helper: number;
  worker?: Worker;
}

async function reader(tuning?: Omit<ReadAheadTuning, 'onBatch' | 'onHelper'>, onHelper?: (helper: Worker) => void): Promise<{ r: StoreReader; seen: Seen }> {
  const seen: Seen = { main: 0, helper: 0 };
  const readAhead: ReadAheadTuning | undefined =
    tuning === undefined
      ? undefined
      : {
          ...tuning,
          onBatch: (by) => seen[by]++,
          onHelper: (worker) => {
            seen.worker = worker;
            onHelper?.(worker);
          },
        };
  const r = await openSqliteStore({ path: join(dir, 'events.db'), display: 'sqlite:events.db', tables: storeTables(undefined), ...(readAhead ? { readAhead } : {}) });
  open.push(r);
  return { r, seen };
}

function expectSame(got: Read, expected: Read, what: string): void {
  expect(got.out, what).toBe(expected.out);
  expect(got.bad, what).toEqual(expected.bad);
  expect(got.count, what).toBe(expected.count);
  expect(got.cursor, what).toEqual(expected.cursor);
}

/** Regions of 4 batches from 300 positions on: a 3,000-row store is several regions. */
const SMALL = { minPositions: 300, regionBatches: 4 } as const;

requireProgram('better-sqlite3').describe('a long store read on two threads', () => {
  it('prints the row path\'s bytes and reports the same rows, whoever reads which batch', async () => {
    // Hostile rows (reported, or re-serialised by the row path) in batches either thread may read.
    const hostileAt = [3, 250, 251, 999, 1000, 1001, 1500, 2222, 2700, 2999];
    writeStore(3000, hostileAt, [1700, 1750]);
    const { r: plain } = await reader();
    const middle = (await plain.readAfter({ engine: 'sqlite', position: 1499 }, 1)).events[0]!.occurredAt!;
    const windows: StoreWindow[] = [
      { kind: 'last', count: 3000 },
      { kind: 'last', count: 2100 },
      { kind: 'last', count: 450 },
      { kind: 'since', seconds: 0 },
      { kind: 'since', seconds: middle },
    ];
    const tunings: ReadAheadTuning[] = [SMALL, { ...SMALL, helperOnly: true }, { ...SMALL, helperOnly: true, capBytes: 40_000 }];
    for (const tuning of tunings) {
      const { r, seen } = await reader(tuning);
      for (const batchSize of [100, 250, 37]) {
        for (const window of windows) {
          const what = `${JSON.stringify(tuning)}, ${JSON.stringify(window)}, batches of ${batchSize}`;
          expectSame(await readOut(r, window, true, batchSize), await readOut(plain, window, false, batchSize), what);
        }
      }
      // The helper read batches (all of them when the main thread claims none, until its cap).
      expect(seen.helper, JSON.stringify(tuning)).toBeGreaterThan(10);
      if (tuning.helperOnly === true && tuning.capBytes === undefined) expect(seen.main).toBe(0);
      if (tuning.capBytes !== undefined) expect(seen.main).toBeGreaterThan(10);
    }
  });

  it('shares the end of a long read with the running helper, however short', async () => {
    writeStore(3000, []);
    const { r: plain } = await reader();
    const { r, seen } = await reader({ ...SMALL, helperOnly: true });
    // 1,450 positions after the first event: regions of 400, 400, 400, then 250 (shorter than the 300 it
    // takes to start the helper, but it runs already): 4 + 4 + 4 + 3 batches, all the helper's.
    const window: StoreWindow = { kind: 'last', count: 1451 };
    expectSame(await readOut(r, window, true, 100), await readOut(plain, window, false, 100), 'the last 1451');
    expect(seen.helper).toBe(15);
  });

  it('reads past gaps in the positions (compaction deleted rows), and batches that hold no row', async () => {
    const store = writeStore(4000, [1234]);
    store.db.exec('DELETE FROM events WHERE global_position BETWEEN 1100 AND 1450 OR global_position % 7 = 0 OR global_position BETWEEN 3001 AND 3002');
    const { r: plain } = await reader();
    const { r, seen } = await reader({ ...SMALL, helperOnly: true });
    for (const window of [{ kind: 'last', count: 3000 }, { kind: 'last', count: 1000 }, { kind: 'since', seconds: 0 }] as StoreWindow[]) {
      for (const batchSize of [100, 333]) expectSame(await readOut(r, window, true, batchSize), await readOut(plain, window, false, batchSize), `${JSON.stringify(window)}, ${batchSize}`);
    }
    expect(seen.helper).toBeGreaterThan(10);
  });

  it('leaves rows the gateway appends during the read to what follows the window, each once', async () => {
    const store = writeStore(3000, [700]);
    const { r: plain } = await reader();
    const expected = await readOut(plain, { kind: 'last', count: 2500 }, false, 100);
    const { r, seen } = await reader({ ...SMALL, helperOnly: true });
    // A row appended after every batch the consumer takes (the gateway writing while tail reads).
    let appended = 0;
    const parts: Buffer[] = [];
    const result = await readWindow({
      reader: r,
      window: { kind: 'last', count: 2500 },
      batchSize: 100,
      emit: (stored) => parts.push(stored.bytes, Buffer.from('\n')),
      bad: () => {},
      lines: {
        room: () => Number.MAX_SAFE_INTEGER,
        take: (lines) => {
          parts.push(Buffer.from(lines));
          store.appendAll([gatewayEvent('HealthCheckPassed', { mcp_server_id: 'late', seq: 10_000 + appended++ })]);
        },
      },
    });
    expect(Buffer.concat(parts).toString('utf8')).toBe(expected.out);
    expect(seen.helper).toBeGreaterThan(5);
    expect(appended).toBeGreaterThan(10);
    // What follows the window starts right after it: the appended rows, in order, none lost or twice.
    const after = await r.readAfter(result.cursor, 10_000);
    expect(after.events.map((e) => (e.event as { seq?: number }).seq)).toEqual(Array.from({ length: appended }, (_, k) => 10_000 + k));
  });

  it('reads everything on the main thread when the helper dies or cannot start, and ends', async () => {
    writeStore(3000, [10, 1600]);
    const { r: plain } = await reader();
    const expected = await readOut(plain, { kind: 'last', count: 3000 }, false, 100);
    // Killed as soon as a reader has it: its batches, claimed or not, are read here.
    const killed = await reader({ ...SMALL, helperOnly: true }, (worker) => void worker.terminate());
    expectSame(await readOut(killed.r, { kind: 'last', count: 3000 }, true, 100), expected, 'killed at once');
    expect(killed.seen.helper).toBe(0);
    // Killed after its first batch came: the main thread takes over in the middle of a region.
    let first = true;
    const later = await reader({ ...SMALL, helperOnly: true }, (worker) =>
      worker.on('message', () => {
        if (first) void worker.terminate();
        first = false;
      }),
    );
    expectSame(await readOut(later.r, { kind: 'last', count: 3000 }, true, 100), expected, 'killed after its first batch');
    expect(later.seen.worker?.threadId).toBe(-1);
    // A helper that cannot open the file (moved away after the reader opened it): never used, nothing lost.
    const moved = await reader({ ...SMALL });
    renameSync(join(dir, 'events.db'), join(dir, 'moved.db'));
    expectSame(await readOut(moved.r, { kind: 'last', count: 3000 }, true, 100), expected, 'after the store moved');
    expect(moved.seen.helper).toBe(0);
    expect(moved.seen.main).toBeGreaterThan(20);
  });

  it('tail --store --history 60000 -o ndjson: the row path\'s bytes, every malformed row reported, the process ends', async () => {
    // Above the real threshold (50,000 positions): the helper starts with the tail and reads.
    writeStore(60_500, Array.from(HOSTILE, (_, k) => 30_000 + 601 * k));
    const { r: plain } = await reader();
    const expected = await readOut(plain, { kind: 'last', count: 60_000 }, false);
    const result = await runCli(['tail', '--store', join(dir, 'events.db'), '--history', '60000', '--no-follow', '-o', 'ndjson'], { timeoutMs: 60_000 });
    expect(result.code).toBe(0);
    expect(result.stdout === expected.out).toBe(true);
    const skipped = result.stderr.split('\n').filter((line) => line.includes('stored row skipped'));
    expect(skipped.length).toBe(expected.bad.length);
    expect(expected.bad.length).toBeGreaterThanOrEqual(10);
    expect(result.stderr).toContain(`${expected.count} events from the store`);
    // Into a file, stdout takes each batch as it is (no copy: OutputStream.writesAtOnce) while the reader reuses its memory.
    const file = join(dir, 'out.ndjson');
    const intoFile = await runIntoFile(['tail', '--store', join(dir, 'events.db'), '--history', '60000', '--no-follow', '-o', 'ndjson'], file);
    expect(intoFile.code).toBe(0);
    expect(readFileSync(file, 'utf8') === expected.out).toBe(true);
    expect(intoFile.stderr.split('\n').filter((line) => line.includes('stored row skipped'))).toEqual(skipped);
  }, 120_000);

  it('a helper the flags start for nothing (a short store, a usage error) is never adopted and never keeps the tail alive', async () => {
    // --history 60000 starts the helper on the flags as given (commands/tail/action.ts), before anything is checked.
    writeStore(40, [7]);
    const { r: plain } = await reader();
    const expected = await readOut(plain, { kind: 'last', count: 60_000 }, false);
    const path = join(dir, 'events.db');
    const short = await runCli(['tail', '--store', path, '--history', '60000', '--no-follow', '-o', 'json'], { timeoutMs: 30_000 });
    expect(short.code).toBe(0);
    expect(short.stdout === expected.out).toBe(true);
    expect(short.stderr).toContain(`${expected.count} events from the store`);
    // Refused after the helper started: the usage error, at once (the helper never keeps the process alive).
    const refused = await runCli(['tail', '--store', path, '--history', '60000', '--no-follow', '-o', 'ndjson', '--interval', '5s'], { timeoutMs: 30_000 });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--interval sets how often -o table prints a snapshot');
    expect(refused.stdout).toBe('');
  }, 60_000);
});

/** Runs the binary with stdout into `file` (Node writes a file synchronously); resolves with its exit code and stderr. */
function runIntoFile(args: readonly string[], file: string): Promise<{ code: number | null; stderr: string }> {
  const out = openSync(file, 'w');
  try {
    const child = spawn(process.execPath, [BIN, ...args], { env: e2eEnv(), stdio: ['ignore', out, 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
  } finally {
    closeSync(out);
  }
}
