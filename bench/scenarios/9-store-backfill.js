// 9. Backfill from the gateway's event store (a real SQLite file written as the gateway writes
// it, WAL mode, `_version` in each row), two rows:
//  - `tail --store events.db --history N --no-follow -o ndjson > /dev/null` against `serve --rate
//    max` into `tail -o ndjson` in the same run, taking turns (5 rounds, medians). Issue 16: no less than half the live rate.
//  - `tail --store events.db --since T --no-follow -o ndjson > file` against the store's physical
//    limit: a plain better-sqlite3 script (bench/workers/store-script.cjs) printing the same rows,
//    byte for byte (checked), run alternately with tail, medians. Issue 24: at most 1.5x its time.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchDir, spawnCli, spawnTracked, startServeCli, stop, whenExited } from '../lib/children.js';
import { createRandom, makeEvent } from '../lib/events.js';
import { readCpuSeconds } from '../lib/procfs.js';
import { judge } from '../lib/report.js';
import { median } from '../lib/stats.js';
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

/** `--since` for the whole store: before the first event's occurred_at (2026-11-26T12:29Z, see makeEvent). */
const SINCE = '2026-11-26T00:00:00Z';
const SINCE_SECONDS = Date.parse(SINCE) / 1000;

/** Runs a child with stdout into `outPath`; resolves with its seconds from spawn to exit and its CPU seconds. */
async function timed(start, outPath, label) {
  const out = openSync(outPath, 'w');
  const started = performance.now();
  const child = start(out);
  closeSync(out);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  let cpu = 0;
  const sampler = setInterval(() => {
    const c = readCpuSeconds(child.pid);
    if (Number.isFinite(c)) cpu = c;
  }, 20);
  await whenExited(child);
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  if (child.exitCode !== 0) throw new Error(`${label} exited ${child.exitCode}: ${stderr.slice(0, 300)}`);
  return { seconds, cpuSeconds: cpu };
}

export default {
  id: 9,
  name: 'store backfill',
  async run({ quick, warmMs, windowMs, log }) {
    const count = quick ? 20_000 : 200_000;
    const dir = mkdtempSync(join(tmpdir(), 'hangar-bench-store-'));
    const details = { events: count };
    try {
      const path = join(dir, 'events.db');
      log(`  writing ${count} events into an SQLite store`);
      writeStore(path, count);

      // Taking turns, round by round: the live baseline (serve stopped before the backfill runs, so the
      // two never share the cores), then the backfill; each figure is the median of its rounds. One run
      // from spawn to exit is at the scheduler's mercy on a shared machine (0.14x to 0.79x within minutes),
      // and so is the live rate (0.9M to 1.6M ev/s within an hour, the same build): five rounds each.
      const rounds = quick ? 1 : 5;
      const lives = [];
      const histories = [];
      for (let round = 0; round < rounds; round++) {
        log(`  serve --rate max -> tail -o ndjson > /dev/null (baseline, round ${round + 1} of ${rounds})`);
        const serve = await startServeCli(['--rate', 'max', '--seed', '1']);
        try {
          lives.push(await measureTailToDevNull(serve.url, 330, { warmMs: Math.max(warmMs, 1000), windowMs }));
        } finally {
          await stop(serve.child);
        }
        log(`  tail --store events.db --history ${count} --no-follow -o ndjson > /dev/null (round ${round + 1} of ${rounds})`);
        histories.push(
          await timed(
            (out) => spawnCli(['tail', '--store', path, '--history', String(count), '--no-follow', '-o', 'ndjson', '-q'], { stdio: ['ignore', out, 'pipe'] }),
            '/dev/null',
            'tail --store --history',
          ),
        );
      }
      details.live = {
        eventsPerSec: median(lives.map((l) => l.eventsPerSec)),
        cpuMicrosPerEvent: median(lives.map((l) => l.cpuMicrosPerEvent)),
        rounds: lives,
      };
      const history = { seconds: median(histories.map((h) => h.seconds)), cpuSeconds: median(histories.map((h) => h.cpuSeconds)) };
      details.backfill = { seconds: history.seconds, eventsPerSec: count / history.seconds, cpuSeconds: history.cpuSeconds, cpuMicrosPerEvent: (history.cpuSeconds / count) * 1e6, rounds: histories };

      // Paced by the slower of the two runs' output rates would not be fair: the live run is measured
      // in its steady state, the backfill from spawn to exit (startup and the store's open included).
      const row = {
        figure: `tail --store (${count} stored events) --history --no-follow -o ndjson >/dev/null`,
        value: details.backfill.eventsPerSec,
        unit: 'ev/s',
        baseline: details.live.eventsPerSec,
        baselineLabel: 'tail -o ndjson from serve --rate max',
        ratio: details.backfill.eventsPerSec / details.live.eventsPerSec,
        target: '>= 0.5x',
        note: `medians of ${rounds} rounds taking turns with live; ${history.seconds.toFixed(2)} s from spawn to exit (${histories.map((h) => h.seconds.toFixed(2)).join(', ')}), ${details.backfill.cpuMicrosPerEvent.toFixed(1)} us cpu/event (live ${details.live.cpuMicrosPerEvent.toFixed(1)})`,
      };
      row.pass = judge(row, { on: 'ratio', op: '>=', limit: 0.5 });

      // The physical limit: the same rows from a plain script, alternating with tail, 3 runs each.
      log(`  tail --store events.db --since ${SINCE} --no-follow -o ndjson > file, alternating with a plain better-sqlite3 script`);
      const script = join(benchDir, 'workers', 'store-script.cjs');
      const tailOut = join(dir, 'tail.ndjson');
      const scriptOut = join(dir, 'script.ndjson');
      const runs = { tail: [], script: [] };
      for (let round = 0; round < 3; round++) {
        runs.script.push(await timed((out) => spawnTracked(process.execPath, [script, path, String(SINCE_SECONDS)], { cwd: repoRoot, stdio: ['ignore', out, 'pipe'] }), scriptOut, 'the store script'));
        runs.tail.push(
          await timed(
            (out) => spawnCli(['tail', '--store', path, '--since', SINCE, '--no-follow', '-o', 'ndjson', '-q'], { stdio: ['ignore', out, 'pipe'] }),
            tailOut,
            'tail --store --since',
          ),
        );
      }
      const [tailBytes, scriptBytes] = [readFileSync(tailOut), readFileSync(scriptOut)];
      if (!tailBytes.equals(scriptBytes)) throw new Error(`tail --store --since printed ${tailBytes.length} bytes, the plain script ${scriptBytes.length}: not the same rows`);
      const tailSeconds = median(runs.tail.map((r) => r.seconds));
      const scriptSeconds = median(runs.script.map((r) => r.seconds));
      const tailCpu = median(runs.tail.map((r) => r.cpuSeconds));
      const scriptCpu = median(runs.script.map((r) => r.cpuSeconds));
      details.since = { tail: runs.tail, script: runs.script, tailSeconds, scriptSeconds, bytes: tailBytes.length };
      const limitRow = {
        figure: `tail --store (${count} stored events) --since --no-follow -o ndjson >file`,
        value: tailSeconds,
        unit: 's',
        baseline: scriptSeconds,
        baselineLabel: 'a plain better-sqlite3 script printing the same rows (bench/workers/store-script.cjs)',
        ratio: tailSeconds / scriptSeconds,
        target: '<= 1.5x',
        note: `medians of 3 alternating runs, spawn to exit; cpu ${tailCpu.toFixed(2)} s vs ${scriptCpu.toFixed(2)} s; outputs identical (${tailBytes.length} bytes)`,
      };
      limitRow.pass = judge(limitRow, { on: 'ratio', op: '<=', limit: 1.5 });
      return { rows: [row, limitRow], details };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
