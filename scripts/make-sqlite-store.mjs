#!/usr/bin/env node
// Makes an SQLite event store shaped like a gateway's (the schema and `data` encoding of
// ../README.md "Reading the gateway's event store"), from NDJSON events on stdin, to try
// `hangar-events tail --store` without a gateway:
//
//   hangar-events demo --seed 3 &   # or: hangar-events serve --seed 3
//   hangar-events tail --history 2000 --no-follow -o ndjson | node scripts/make-sqlite-store.mjs events.db
//   hangar-events tail --store events.db --history 50 -t '*Failed' --no-follow
//
// As the gateway, it stores only events that name a stream (a server, a group or a session) and
// appends to an existing store. Needs the optional SQLite driver (better-sqlite3), which
// `npm install` in a clone installs.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const file = process.argv[2];
if (!file || process.argv.length > 3) {
  process.stderr.write('usage: node scripts/make-sqlite-store.mjs STORE.db < events.ndjson\n');
  process.exit(2);
}
let Database;
try {
  Database = createRequire(import.meta.url)('better-sqlite3');
} catch {
  process.stderr.write('make-sqlite-store: the SQLite driver is not installed: run npm install in the clone (it builds better-sqlite3)\n');
  process.exit(1);
}

const db = new Database(file);
db.pragma('journal_mode = WAL');
db.exec(`
CREATE TABLE IF NOT EXISTS events (
    global_position INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id TEXT NOT NULL, stream_version INTEGER NOT NULL, event_type TEXT NOT NULL,
    data TEXT NOT NULL, metadata TEXT, created_at TEXT NOT NULL,
    UNIQUE(stream_id, stream_version));
CREATE TABLE IF NOT EXISTS streams (
    stream_id TEXT PRIMARY KEY, version INTEGER NOT NULL DEFAULT -1, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (
    stream_id TEXT PRIMARY KEY, version INTEGER NOT NULL, state_data TEXT NOT NULL, created_at TEXT NOT NULL);`);
const versionOf = db.prepare('SELECT version FROM streams WHERE stream_id = ?');
const insert = db.prepare('INSERT INTO events (stream_id, stream_version, event_type, data, metadata, created_at) VALUES (?, ?, ?, ?, NULL, ?)');
const bump = db.prepare(
  'INSERT INTO streams (stream_id, version, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(stream_id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at',
);
const append = db.transaction((stream, type, data, now) => {
  const version = (versionOf.get(stream)?.version ?? -1) + 1;
  insert.run(stream, version, type, data, now);
  bump.run(stream, version, now, now);
});

/** The gateway's stream for an event, or undefined: it stores no such event. */
function streamOf(event) {
  const server = event.mcp_server_id ?? event.mcp_server_name;
  if (typeof server === 'string' && server !== '') return `mcp_server:${server}`;
  if (typeof event.group_id === 'string' && event.group_id !== '') return `group:${event.group_id}`;
  if (typeof event.session_id === 'string' && event.session_id !== '') return `session:${event.session_id}`;
  return undefined;
}

/** Python's json.dumps(value, ensure_ascii=False): spaces after ':' and ','. */
function pythonJson(value) {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`).join(', ')}}`;
  return JSON.stringify(value);
}

let line = 0;
let stored = 0;
let skipped = 0;
let bad = 0;
for await (const text of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  line++;
  if (text.trim() === '') continue;
  let event;
  try {
    event = JSON.parse(text);
  } catch {
    event = undefined;
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event) || typeof event.event_type !== 'string') {
    if (++bad <= 5) process.stderr.write(`make-sqlite-store: line ${line} is not an event object with an event_type; skipped\n`);
    continue;
  }
  const stream = streamOf(event);
  if (stream === undefined) {
    skipped++;
    continue;
  }
  const { event_type: type, ...fields } = event;
  append(stream, type, pythonJson({ _version: 1, ...fields }), new Date().toISOString());
  stored++;
}
db.close();
process.stderr.write(`make-sqlite-store: ${stored} events stored in ${file}${skipped > 0 ? `, ${skipped} without a stream not stored (as the gateway)` : ''}${bad > 0 ? `, ${bad} bad lines skipped` : ''}\n`);
process.exit(bad > 0 ? 1 : 0);
