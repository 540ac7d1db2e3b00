import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/spawn.js';

/**
 * The database drivers are loaded only for --store: the binary runs with a
 * loader hook that makes `pg` and `better-sqlite3` unresolvable and logs every
 * attempt, as on an installation without them.
 */
const HOOK = fileURLToPath(new URL('../fixtures/block-store-drivers.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hangar-drivers-'));
const log = join(dir, 'driver.log');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const withoutDrivers = (args: string[]) => runCli(args, { env: { NODE_OPTIONS: `--import=${HOOK}`, DRIVER_LOG: log } });
const attempts = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []);

describe('the store drivers are optional and loaded lazily', () => {
  it('--version, --help, tail --help and a tail without --store never load a driver', async () => {
    expect((await withoutDrivers(['--version'])).code).toBe(0);
    expect((await withoutDrivers(['--help'])).code).toBe(0);
    const help = await withoutDrivers(['tail', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--store <location>/);
    const tail = await withoutDrivers(['tail', 'ws://127.0.0.1:1/api/ws/events', '--no-reconnect']);
    expect(tail.code).toBe(1);
    expect(attempts()).toEqual([]);
  });

  it('a missing driver is a clear message with exit 6, not a stack trace', async () => {
    const sqlite = await withoutDrivers(['tail', '--store', join(dir, 'events.db'), '--since', '1h', '--no-follow']);
    // The file is checked first: a missing file is the more useful message.
    expect(sqlite.stderr).toMatch(/no SQLite store at/);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'events.db'), '');
    const present = await withoutDrivers(['tail', '--store', join(dir, 'events.db'), '--since', '1h', '--no-follow']);
    expect(present.code).toBe(6);
    expect(present.stderr).toMatch(
      /^hangar-events: cannot read an SQLite store: its driver \(the optional dependency better-sqlite3\) is not installed or did not build here \(module not found\); install it with 'npm install better-sqlite3@12'/m,
    );
    const postgres = await withoutDrivers(['tail', '--store', 'postgresql://u:pw@127.0.0.1:1/db', '--since', '1h', '--no-follow']);
    expect(postgres.code).toBe(6);
    expect(postgres.stderr).toMatch(/cannot read a PostgreSQL store: its driver \(the dependency pg\) is not installed/);
    for (const output of [present.stderr, postgres.stderr]) expect(output).not.toMatch(/\n\s+at /);
    expect(attempts()).toEqual(['better-sqlite3', 'pg']);
  });
});
