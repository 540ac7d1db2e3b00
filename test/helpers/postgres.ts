import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe } from 'vitest';
import type { HangarEvent } from '../../src/protocol/types.js';
import { storedData, streamIdOf } from './event-store.js';
import { requireProgram } from './require-program.js';

/**
 * A real PostgreSQL server for the store tests. Either the one `.ci/run`
 * started (HANGAR_TEST_PG_URL, a superuser URL: each test file gets its own
 * database in it), or one started here from Debian's binaries
 * (/usr/lib/postgresql/<version>/bin) in a temporary data directory on a free
 * loopback port, as the `postgres` user when the tests run as root (the
 * server refuses to run as root). Host connections need a password
 * (scram-sha-256), so the password paths are real.
 */

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** A URL with the password in it. */
  readonly url: string;
  /** The same without the password (for PGPASSWORD / ~/.pgpass tests). */
  readonly urlWithoutPassword: string;
  /** A superuser client on the test database. */
  admin(): Promise<pg.Client>;
  stop(): Promise<void>;
}

const ENV_URL = 'HANGAR_TEST_PG_URL';

function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(root, versions.includes('15') ? '15' : versions[0]!, 'bin') : undefined;
}

/**
 * `describe` for tests that need a server: real with HANGAR_TEST_PG_URL or
 * the Debian binaries, else skipped with the reason (a failure under CI=true).
 */
export function needsPostgres(): { describe(name: string, body: () => void): void } {
  if (process.env[ENV_URL]) return { describe: (name, body) => describe(name, body) };
  return requireProgram('postgresql');
}

function lookupUid(name: string): { uid: number; gid: number } | undefined {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l: string) => l.startsWith(`${name}:`)) as string | undefined;
    if (!line) return undefined;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function run(command: string, args: string[], options: { uid?: number; gid?: number; cwd?: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${output.slice(-2000)}`))));
  });
}

/** Starts (or borrows) a server and creates a fresh database in it. */
export async function startPostgres(): Promise<PostgresServer> {
  const envUrl = process.env[ENV_URL];
  if (envUrl) return borrowServer(envUrl);
  return startLocalServer();
}

async function borrowServer(envUrl: string): Promise<PostgresServer> {
  const base = new URL(envUrl);
  const database = `hangar_test_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: envUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const password = decodeURIComponent(base.password);
  const user = decodeURIComponent(base.username);
  const host = base.hostname;
  const port = Number(base.port || 5432);
  return describeServer({ host, port, user, password, database }, async () => {
    const client = new pg.Client({ connectionString: envUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await client.end();
  });
}

async function startLocalServer(): Promise<PostgresServer> {
  const bin = findBinDir();
  if (bin === undefined) throw new Error('PostgreSQL is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'hangar-pg-'));
  const data = join(dir, 'data');
  const password = randomBytes(9).toString('base64url');
  const user = 'hangar';
  writeFileSync(join(dir, 'pw'), `${password}\n`);
  const owner = process.getuid?.() === 0 ? lookupUid('postgres') : undefined;
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(join(dir, 'pw'), owner.uid, owner.gid);
  }
  const as = owner ? { uid: owner.uid, gid: owner.gid } : {};
  await run(join(bin, 'initdb'), ['-D', data, '-U', user, `--pwfile=${join(dir, 'pw')}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync', '--no-instructions'], {
    ...as,
    cwd: dir,
  });
  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 0; attempt < 5 && child === undefined; attempt++) {
    port = await freePort();
    const candidate = spawn(
      join(bin, 'postgres'),
      ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=60'],
      { ...as, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } },
    );
    const ready = await new Promise<boolean>((resolve) => {
      let output = '';
      const onData = (d: Buffer) => {
        output += d.toString();
        if (output.includes('ready to accept connections')) resolve(true);
        if (/could not bind|Address already in use/.test(output)) resolve(false);
      };
      candidate.stderr!.on('data', onData);
      candidate.stdout!.on('data', onData);
      candidate.once('exit', () => resolve(false));
    });
    if (ready) child = candidate;
    else candidate.kill('SIGKILL');
  }
  if (child === undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error('PostgreSQL did not start (no free port after 5 tries)');
  }
  const server = child;
  const admin = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres' });
  await admin.connect();
  await admin.query('CREATE DATABASE hangar');
  await admin.end();
  return describeServer({ host: '127.0.0.1', port, user, password, database: 'hangar' }, async () => {
    await new Promise<void>((resolve) => {
      if (server.exitCode !== null) return resolve();
      server.once('exit', () => resolve());
      server.kill('SIGINT');
    });
    rmSync(dir, { recursive: true, force: true });
  });
}

function describeServer(
  p: { host: string; port: number; user: string; password: string; database: string },
  stop: () => Promise<void>,
): PostgresServer {
  const url = `postgresql://${encodeURIComponent(p.user)}:${encodeURIComponent(p.password)}@${p.host}:${p.port}/${p.database}`;
  return {
    ...p,
    url,
    urlWithoutPassword: `postgresql://${encodeURIComponent(p.user)}@${p.host}:${p.port}/${p.database}`,
    async admin() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    },
    stop,
  };
}

/** The gateway's DDL: the tables, then the xact_id column and its default in separate statements, then the index. */
export const POSTGRES_SCHEMA = (prefix = '') => `
CREATE TABLE IF NOT EXISTS ${prefix}events (
    global_position BIGSERIAL PRIMARY KEY,
    stream_id TEXT NOT NULL,
    stream_version INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    data JSONB NOT NULL,
    metadata JSONB,
    created_at TEXT NOT NULL,
    UNIQUE(stream_id, stream_version)
);
CREATE TABLE IF NOT EXISTS ${prefix}streams (
    stream_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL DEFAULT -1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ${prefix}snapshots (
    stream_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    state_data JSONB NOT NULL,
    created_at TEXT NOT NULL
);
ALTER TABLE ${prefix}events ADD COLUMN IF NOT EXISTS xact_id xid8;
ALTER TABLE ${prefix}events ALTER COLUMN xact_id SET DEFAULT pg_current_xact_id();
CREATE INDEX IF NOT EXISTS ${prefix}events_xact_idx ON ${prefix}events (xact_id, global_position);
`;

/** Creates the store's schema as the gateway does at start. */
export async function createPostgresSchema(server: PostgresServer, prefix = ''): Promise<void> {
  const admin = await server.admin();
  try {
    await admin.query(POSTGRES_SCHEMA(prefix));
  } finally {
    await admin.end();
  }
}

/** An open append transaction of one gateway replica: rows are written, the commit comes when the test says. */
export interface OpenAppend {
  append(event: HangarEvent): Promise<number>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/**
 * One gateway replica's writer (its own connection), appending as the gateway
 * does: the stream's version row advanced, then the event rows, in one transaction.
 */
export class PgGatewayWriter {
  private constructor(
    private readonly client: pg.Client,
    private readonly prefix: string,
  ) {}

  static async connect(server: PostgresServer, prefix = ''): Promise<PgGatewayWriter> {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    return new PgGatewayWriter(client, prefix);
  }

  /** Appends each storable event in its own committed transaction; returns the stored ones. */
  async append(events: readonly HangarEvent[]): Promise<HangarEvent[]> {
    const stored: HangarEvent[] = [];
    for (const event of events) {
      if (streamIdOf(event) === undefined) continue;
      const tx = await this.begin();
      await tx.append(event);
      await tx.commit();
      stored.push(event);
    }
    return stored;
  }

  /** Appends the storable events in one committed transaction (a large history, fast); returns the stored ones. */
  async appendAll(events: readonly HangarEvent[]): Promise<HangarEvent[]> {
    const stored = events.filter((event) => streamIdOf(event) !== undefined);
    const tx = await this.begin();
    for (const event of stored) await tx.append(event);
    await tx.commit();
    return stored;
  }

  /** Starts a transaction and keeps it open until commit or rollback. */
  async begin(): Promise<OpenAppend> {
    const { client, prefix } = this;
    await client.query('BEGIN');
    return {
      async append(event) {
        const stream = streamIdOf(event);
        if (stream === undefined) throw new Error(`the gateway stores no ${event.event_type} without a server, group or session`);
        const now = new Date().toISOString();
        const current = await client.query<{ version: number }>(`SELECT version FROM ${prefix}streams WHERE stream_id = $1 FOR UPDATE`, [stream]);
        const version = (current.rows[0]?.version ?? -1) + 1;
        if (current.rows.length === 0) {
          await client.query(`INSERT INTO ${prefix}streams (stream_id, version, created_at, updated_at) VALUES ($1, $2, $3, $3)`, [stream, version, now]);
        } else {
          await client.query(`UPDATE ${prefix}streams SET version = $2, updated_at = $3 WHERE stream_id = $1`, [stream, version, now]);
        }
        const inserted = await client.query<{ global_position: string }>(
          `INSERT INTO ${prefix}events (stream_id, stream_version, event_type, data, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING global_position`,
          [stream, version, event.event_type, storedData(event), now],
        );
        return Number(inserted.rows[0]!.global_position);
      },
      commit: async () => {
        await client.query('COMMIT');
      },
      rollback: async () => {
        await client.query('ROLLBACK');
      },
    };
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
