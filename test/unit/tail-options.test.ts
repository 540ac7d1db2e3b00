import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { backoffDelayMs } from '../../src/client/backoff.js';
import { parseHeaderFlag } from '../../src/commands/parse.js';
import { buildHeaders } from '../../src/credentials.js';
import { normaliseUrl, sourceLabels } from '../../src/client/url.js';
import { displayUrl } from '../../src/format/url.js';
import type { TailOptions } from '../../src/commands/tail/options.js';
import { registerTail } from '../../src/commands/tail/register.js';
import { SeenIds } from '../../src/protocol/seen-ids.js';
import { toNdjsonLine } from '../../src/tail/sinks/ndjson-sink.js';
import { createTestIO } from '../helpers/test-io.js';

const NOW_MS = Date.UTC(2026, 10, 26, 12, 0, 0);

/** Parses `tail <args>` with an injected run; returns the options run received. */
async function parse(args: string[], io = createTestIO()): Promise<TailOptions> {
  let received: TailOptions | undefined;
  const program = new Command('hangar-events').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerTail(program, io, async (options) => {
    received = options;
  });
  program.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} }));
  await program.parseAsync(['tail', ...args], { from: 'user' });
  return received!;
}

describe('tail flags -> TailOptions', () => {
  it('defaults: $HANGAR_URL else localhost:8000, ndjson off a terminal, pretty on one', async () => {
    const plain = await parse([]);
    expect(plain.urls).toEqual(['ws://localhost:8000/api/ws/events']);
    expect(plain.output).toBe('ndjson');
    expect(plain.reconnect).toBe(true);
    expect(plain.follow).toBe(true);
    expect(plain.color).toBe('auto');
    expect(plain.time).toBe('local');
    expect((await parse([], createTestIO({ stdoutTTY: true }))).output).toBe('pretty');
    expect((await parse([], createTestIO({ env: { HANGAR_URL: 'https://hangar.example.com' } }))).urls).toEqual(['wss://hangar.example.com/api/ws/events']);
  });

  it('--format, --fields and --time ask for lines themselves, also when stdout is not a terminal', async () => {
    expect((await parse(['--format', '{mcp_server_id}\t{tool_name}'])).output).toBe('pretty');
    expect((await parse(['--fields', 'tool_name'])).output).toBe('pretty');
    expect((await parse(['--time', 'none'])).output).toBe('pretty');
    expect((await parse(['-o', 'pretty', '--time', 'utc'])).time).toBe('utc');
    expect((await parse(['-q'])).output).toBe('ndjson');
  });

  it('an empty filter value (an unset variable in a script) is a usage error, as --where \'\' is', async () => {
    await expect(parse(['-t', ''])).rejects.toThrow(/^--type "" names nothing: give a value/);
    await expect(parse(['-s', ''])).rejects.toThrow(/^--server "" names nothing/);
    await expect(parse(['-x', ' , '])).rejects.toThrow(/^--exclude-type " , " names nothing/);
    await expect(parse(['--group', ''])).rejects.toThrow(UsageError);
    await expect(parse(['--where', ''])).rejects.toThrow(UsageError);
    expect((await parse(['-t', 'HealthCheckFailed,', '-s', 'math'])).types).toEqual(['HealthCheckFailed']);
  });

  it('kubectl and stern habits: -f/--follow, --tail N, -o json', async () => {
    expect((await parse(['-f'])).follow).toBe(true);
    expect((await parse(['--follow'])).follow).toBe(true);
    expect((await parse(['--no-follow', '--tail', '5'])).follow).toBe(false);
    expect(await parse(['--tail', '20', '-f'])).toMatchObject({ history: 20, follow: true });
    expect((await parse(['-o', 'json'])).output).toBe('ndjson');
    expect((await parse(['-o', 'jsonl'])).output).toBe('ndjson');
    await expect(parse(['--tail', '5', '--history', '6'])).rejects.toThrow(/--tail N is another name for --history N/);
  });

  it('--since and --until: durations, RFC 3339 with or without a zone, windows of history', async () => {
    expect((await parse(['--since', '1h30m'])).sinceEpochMs).toBe(NOW_MS - 5_400_000);
    expect((await parse(['--since', '2026-11-26T11:00:00Z'])).sinceEpochMs).toBe(NOW_MS - 3_600_000);
    expect((await parse(['--since', '2026-11-26T12:00:00+01:00'])).sinceEpochMs).toBe(NOW_MS - 3_600_000);
    expect(await parse(['--until', '5m'])).toMatchObject({ untilEpochMs: NOW_MS + 300_000, follow: true });
    // A window that ended already: print it from history and exit, no follow.
    expect(await parse(['--since', '2026-11-26T10:00:00Z', '--until', '2026-11-26T11:00:00Z'])).toMatchObject({
      sinceEpochMs: NOW_MS - 7_200_000,
      untilEpochMs: NOW_MS - 3_600_000,
      follow: false,
    });
    await expect(parse(['--until', '2026-11-26T11:00:00Z'])).rejects.toThrow(/--until '2026-11-26T11:00:00Z' is already past: add --since/);
    await expect(parse(['--since', '2026-11-26T13:00:00Z'])).rejects.toThrow(/is in the future/);
    await expect(parse(['--since', '10m', '--until', '2026-11-26T11:00:00Z'])).rejects.toThrow(/is not after --since/);
    await expect(parse(['--since', 'yesterday'])).rejects.toThrow(/invalid --since 'yesterday': 'yesterday' is not a time; expected a duration/);
  });

  it('repeatable, comma-separated filters are flattened', async () => {
    const options = await parse(['-t', 'HealthCheck*,ToolInvocationFailed', '--type', 'McpServerStarted', '-s', 'math', '-s', 'db,math', '--group', 'pool-a,pool-b', '--group', 'pool-a', '-x', 'HealthCheckPassed', '--where', 'duration_ms>500', '--where', 'tool_name~^git']);
    expect(options.types).toEqual(['HealthCheck*', 'ToolInvocationFailed', 'McpServerStarted']);
    expect(options.servers).toEqual(['math', 'db']);
    expect(options.groups).toEqual(['pool-a', 'pool-b']);
    expect(options.excludeTypes).toEqual(['HealthCheckPassed']);
    expect(options.where).toEqual(['duration_ms>500', 'tool_name~^git']);
  });

  it('credentials: -k beats HANGAR_API_KEY; --api-key-file is exclusive with -k; headers parsed', async () => {
    const io = createTestIO({ env: { HANGAR_API_KEY: 'from-env' } });
    expect((await parse([], io)).apiKey).toBe('from-env');
    expect((await parse(['-k', 'flag'], io)).apiKey).toBe('flag');
    // A key file is read before run (one rule in every command): a `#` comment line is not part of the key.
    const dir = mkdtempSync(join(tmpdir(), 'tail-key-'));
    writeFileSync(join(dir, 'key.txt'), '# staging gateway\n\n  k-from-file  \n');
    const fromFile = await parse(['--api-key-file', 'key.txt'], createTestIO({ cwd: dir, env: { HANGAR_API_KEY: 'from-env' } }));
    expect(fromFile.apiKey).toBe('k-from-file');
    expect(fromFile.apiKeyFile).toBe('key.txt');
    expect(fromFile.requestHeaders).toEqual({ 'X-API-Key': 'k-from-file' });
    expect((await parse(['--api-key-file', 'key.txt', '--bearer'], createTestIO({ cwd: dir }))).requestHeaders).toEqual({ Authorization: 'Bearer k-from-file' });
    // Unreadable or keyless: a usage error naming the flag, before run.
    await expect(parse(['--api-key-file', 'missing.txt'], createTestIO({ cwd: dir }))).rejects.toThrow(UsageError);
    await expect(parse(['--api-key-file', 'missing.txt'], createTestIO({ cwd: dir }))).rejects.toThrow(/cannot read --api-key-file missing\.txt \(ENOENT\)/);
    writeFileSync(join(dir, 'comments.txt'), '# only a comment\n');
    await expect(parse(['--api-key-file', 'comments.txt'], createTestIO({ cwd: dir }))).rejects.toThrow(/--api-key-file comments\.txt contains no key/);
    await expect(parse(['--bearer'])).rejects.toThrow(/--bearer sends the API key as a bearer token, but there is no key/);
    await expect(parse(['-k', 'a', '--api-key-file', 'f'])).rejects.toThrow(/either -k\/--api-key or --api-key-file/);
    expect((await parse(['-H', 'X-Tenant: blue', '--header', 'Cookie:a=b'])).headers).toEqual([
      ['X-Tenant', 'blue'],
      ['Cookie', 'a=b'],
    ]);
    await expect(parse(['-H', 'no colon'])).rejects.toThrow(/expected 'Name: value'/);
  });

  it('color: --color <mode> and --no-color', async () => {
    expect((await parse(['--color', 'always'])).color).toBe('always');
    expect((await parse(['--no-color'])).color).toBe('never');
    await expect(parse(['--color', 'sometimes'])).rejects.toThrow(/--color 'sometimes': expected one of auto, always, never/);
  });

  it('history, exit conditions and connection flags', async () => {
    const options = await parse(['--history', '50', '--no-follow', '-n', '3', '--timeout', '30s', '--max-retries', '5', '--record', 'out.ndjson', '--stats', '-q']);
    expect(options).toMatchObject({ history: 50, follow: false, count: 3, timeoutMs: 30_000, maxRetries: 5, record: 'out.ndjson', stats: true, quiet: true });
    expect((await parse(['--since', '10m'])).sinceEpochMs).toBe(NOW_MS - 600_000);
    expect((await parse(['--no-reconnect'])).reconnect).toBe(false);
  });

  it('usage errors name the problem', async () => {
    const cases: [string[], RegExp][] = [
      [['-o', 'yaml'], /-o\/--output 'yaml': expected one of pretty, ndjson, table/],
      [['--sort', 'calls'], /--sort orders the rows of the live table: use it with -o table/],
      [['-o', 'pretty', '--interval', '1s'], /--interval .* use it with -o table/],
      [['-o', 'table', '--sort', 'size'], /--sort 'size': expected one of problems, server, state, errors, calls, latency, last/],
      [['-o', 'table', '--interval', 'often'], /--interval 'often'/],
      [['-o', 'table', '--interval', '10ms'], /--interval '10ms': must be at least 100ms/],
      [['-o', 'table', '--format', '{event_type}'], /--format .* -o table/],
      [['-n', '0'], /-n\/--count '0': must be at least 1/],
      [['--timeout', 'soon'], /--timeout 'soon'/],
      [['--history', '5', '--since', '1m'], /either --history or --since/],
      [['--no-follow'], /--no-follow prints history and exits: add --history/],
      [['--time', 'martian'], /--time 'martian'/],
      [['-o', 'ndjson', '--format', '{event_type}'], /--format .* -o ndjson/],
      [['-o', 'ndjson', '--fields', 'tool_name'], /--fields .* -o ndjson/],
      [['-o', 'ndjson', '--time', 'utc'], /--time sets the time column of pretty lines; -o ndjson writes events exactly as received/],
      [['-o', 'table', '--time', 'utc'], /--time .* -o table/],
      [['--no-reconnect', '--max-retries', '3'], /--max-retries has no effect with --no-reconnect/],
      [['ftp://host'], /unsupported URL scheme 'ftp:\/\/'/],
    ];
    for (const [args, message] of cases) {
      const attempt = parse(args);
      await expect(attempt, args.join(' ')).rejects.toBeInstanceOf(UsageError);
      await expect(attempt, args.join(' ')).rejects.toThrow(message);
    }
  });

  it('-o table: --sort (default problems first) and --interval (default 5s)', async () => {
    expect(await parse(['-o', 'table'])).toMatchObject({ output: 'table', sort: 'problems', intervalMs: 5000 });
    expect(await parse(['-o', 'table', '--sort', 'latency', '--interval', '30s'])).toMatchObject({ sort: 'latency', intervalMs: 30_000 });
  });

  it('several URLs are kept in order without duplicates', async () => {
    const options = await parse(['ws://a:8000', 'b:9000', 'ws://a:8000/api/ws/events']);
    expect(options.urls).toEqual(['ws://a:8000/api/ws/events', 'ws://b:9000/api/ws/events']);
  });
});

describe('URL normalisation', () => {
  it.each([
    ['ws://localhost:8000', 'ws://localhost:8000/api/ws/events'],
    ['wss://hangar.example.com/', 'wss://hangar.example.com/api/ws/events'],
    ['http://10.0.0.5:8000', 'ws://10.0.0.5:8000/api/ws/events'],
    ['https://hangar.example.com/custom/events', 'wss://hangar.example.com/custom/events'],
    ['localhost:8000', 'ws://localhost:8000/api/ws/events'],
    ['gateway', 'ws://gateway/api/ws/events'],
    ['HTTP://Host:81?x=1', 'ws://host:81/api/ws/events?x=1'],
    ['[::1]:8000', 'ws://[::1]:8000/api/ws/events'],
  ])('%s -> %s', (input, expected) => {
    expect(normaliseUrl(input)).toBe(expected);
  });
  it('labels sources by host:port, with the path only when needed', () => {
    expect(sourceLabels(['ws://a:8000/api/ws/events', 'ws://b:8000/api/ws/events'])).toEqual(['a:8000', 'b:8000']);
    expect(sourceLabels(['ws://a:8000/x', 'ws://a:8000/y'])).toEqual(['a:8000/x', 'a:8000/y']);
    expect(sourceLabels(['wss://a/api/ws/events'])).toEqual(['a:443']);
  });
  it('never shows user:password', () => {
    expect(displayUrl('ws://user:secret@host:1/api/ws/events')).toBe('ws://host:1/api/ws/events');
  });
});

describe('client pieces', () => {
  it('backoff grows exponentially, is capped and jittered', () => {
    const policy = { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.5 };
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, policy, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelayMs(20, policy, () => 0)).toBe(30_000);
    expect(backoffDelayMs(3, policy, () => 0.999999)).toBe(1000);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(1500);
  });
  it('headers: X-API-Key by default, Bearer with --bearer, -H overrides case-insensitively', () => {
    expect(buildHeaders({ apiKey: 'k' })).toEqual({ 'X-API-Key': 'k' });
    expect(buildHeaders({ apiKey: 'k', bearer: true })).toEqual({ Authorization: 'Bearer k' });
    expect(buildHeaders({ apiKey: 'k', extra: [['x-api-key', 'other']] })).toEqual({ 'x-api-key': 'other' });
    expect(buildHeaders({})).toEqual({});
    expect(() => parseHeaderFlag('Bad Name: x')).toThrow(UsageError);
  });
  it('remembers a bounded number of ids', () => {
    const seen = new SeenIds(3);
    expect(['a', 'b', 'a', 'c', 'd'].map((id) => seen.add(id))).toEqual([true, true, false, true, true]);
    expect(seen.size).toBe(3);
    expect(seen.add('a')).toBe(true);
    expect(seen.add('d')).toBe(false);
  });
  it('ndjson keeps the frame text, folding only line breaks between tokens', () => {
    expect(toNdjsonLine('{"event_type": "X", "a": 1}')).toBe('{"event_type": "X", "a": 1}');
    expect(toNdjsonLine('{\n  "event_type": "X"\n}\n')).toBe('{   "event_type": "X" }');
    // U+2028/U+2029 inside strings are plain characters: kept byte for byte (they used to become spaces).
    expect(toNdjsonLine('{"event_type": "X", "note": "a\u2028b\u2029c"}')).toBe('{"event_type": "X", "note": "a\u2028b\u2029c"}');
    expect(toNdjsonLine(' {"event_type": "X"}\r\n')).toBe('{"event_type": "X"}');
  });
});
