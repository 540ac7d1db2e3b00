// 9. Backfill from the gateway's event store: `tail --store events.db --history 100000
// --no-follow -o ndjson > /dev/null` (a real SQLite file written as the gateway writes it,
// WAL mode, `_version` in each row) against `serve --rate max` into `tail -o ndjson`
// in the same run. Issue 16: the backfill prints at no less than half the live rate.
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnCli, startServeCli, stop, whenExited } from '../lib/children.js';
import { createRandom, makeEvent } from '../lib/events.js';
import { readCpuSeconds } from '../lib/procfs.js';
import { judge } from '../lib/report.js';
import { repoRoot } from '../lib/children.js';
import { measureTailToDevNull } from './1-end-to-end.js';

/** `json.dumps(value, ensure_ascii=False)`, as the gateway's serializer writes `data`. */
function pythonJson(value) {
  if (value === null || value === undefined) return 'null';
  if (typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`).join(', ')}}`;
}

/** Writes `count` events into a new SQLite store with the gateway's schema and serialisation. */
function writeStore(path, count) {
  const Database = createRequire(join(repoRoot, 'package.json'))('better-sqlite3');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE events (global_position INTEGER PRIMARY KEY AUTOINCREMENT, stream_id TEXT NOT NULL, stream_version INTEGER NOT NULL,
    event_type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT, created_at TEXT NOT NULL, UNIQUE(stream_id, stream_version))`);
  const insert = db.prepare('INSERT INTO events (stream_id, stream_version, event_type, data, created_at) VALUES (?, ?, ?, ?, ?)');
  const versions = new Map();
  const random = createRandom(9);
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const { event_type: type, ...fields } = makeEvent(random, i);
      const stream = `mcp_server:${fields.mcp_server_id}`;
      const version = (versions.get(stream) ?? -1) + 1;
      versions.set(stream, version);
      const data = pythonJson({ _version: 1, ...fields });
      insert.run(stream, version, type, data, new Date().toISOString());
    }
  })();
  db.close();
}

export default {
  id: 9,
  name: 'store backfill',
  async run({ quick, warmMs, windowMs, log }) {
    const count = quick ? 20_000 : 100_000;
    const dir = mkdtempSync(join(tmpdir(), 'hangar-bench-store-'));
    const details = { events: count };
    try {
      const path = join(dir, 'events.db');
      log(`  writing ${count} events into an SQLite store`);
      writeStore(path, count);

      log('  serve --rate max -> tail -o ndjson > /dev/null (baseline)');
      const serve = await startServeCli(['--rate', 'max', '--seed', '1']);
      try {
        details.live = await measureTailToDevNull(serve.url, 330, { warmMs: Math.max(warmMs, 1000), windowMs });
      } finally {
        await stop(serve.child);
      }

      log(`  tail --store events.db --history ${count} --no-follow -o ndjson > /dev/null`);
      const devNull = openSync('/dev/null', 'w');
      const started = performance.now();
      const tail = spawnCli(['tail', '--store', path, '--history', String(count), '--no-follow', '-o', 'ndjson', '-q'], { stdio: ['ignore', devNull, 'pipe'] });
      closeSync(devNull);
      let stderr = '';
      tail.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
      let cpu = 0;
      const sampler = setInterval(() => {
        const c = readCpuSeconds(tail.pid);
        if (Number.isFinite(c)) cpu = c;
      }, 50);
      await whenExited(tail);
      const code = tail.exitCode;
      clearInterval(sampler);
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) throw new Error(`tail --store exited ${code}: ${stderr.slice(0, 300)}`);
      details.backfill = { seconds, eventsPerSec: count / seconds, cpuSeconds: cpu, cpuMicrosPerEvent: (cpu / count) * 1e6 };

      // Paced by the slower of the two runs' output rates would not be fair: the live run is measured
      // in its steady state, the backfill from spawn to exit (startup and the store's open included).
      const row = {
        figure: `tail --store (${count} stored events) --no-follow -o ndjson >/dev/null`,
        value: details.backfill.eventsPerSec,
        unit: 'ev/s',
        baseline: details.live.eventsPerSec,
        baselineLabel: 'tail -o ndjson from serve --rate max',
        ratio: details.backfill.eventsPerSec / details.live.eventsPerSec,
        target: '>= 0.5x',
        note: `${seconds.toFixed(2)} s from spawn to exit, ${details.backfill.cpuMicrosPerEvent.toFixed(1)} us cpu/event (live ${details.live.cpuMicrosPerEvent.toFixed(1)})`,
      };
      row.pass = judge(row, { on: 'ratio', op: '>=', limit: 0.5 });
      return { rows: [row], details };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
