import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { httpRequest, type HttpResult } from '../helpers/hostile-net.js';
import { killAll, runCli, startCli, type RunningCli } from '../helpers/spawn.js';

/**
 * Security promises, against the real binary on 127.0.0.1:
 * - missing, wrong, empty, very long and almost-right keys are refused at the
 *   handshake (401/403), in both header forms;
 * - keys never appear in serve's output, its error bodies, /health, or its
 *   command line (/proc/<pid>/cmdline) when given by HANGAR_API_KEY or
 *   --api-key-file;
 * - cross-site WebSocket and POST attempts from a browser context and
 *   DNS-rebinding Host headers are refused;
 * - a non-loopback bind without a key is refused, saying why;
 * - the installed ws has the CVE-2024-37890 fix (>= 8.17.1).
 */

const SECRET = 'hx-7f3a9c2e5b1d4a8f-secret-key';
const dir = mkdtempSync(join(tmpdir(), 'hostile-security-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(killAll);

async function serve(args: string[], env: Record<string, string> = {}): Promise<{ cli: Pick<RunningCli, 'child' | 'stdout' | 'stderr'>; port: number; url: string }> {
  const fullArgs = ['serve', '--host', '127.0.0.1', '--port', '0', '--no-demo', ...args];
  const re = /listening on ws:\/\/127\.0\.0\.1:(\d+)\/api\/ws\/events/;
  const cli = startCli(fullArgs, { env });
  const match = await cli.waitFor('stderr', re, 20_000);
  const port = Number(match[1]);
  return { cli, port, url: `ws://127.0.0.1:${port}/api/ws/events` };
}

/** The HTTP status of a WebSocket handshake (101 when accepted) and the refusal body. */
function handshake(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('error', (error) => resolve({ status: -1, body: String(error) }));
    ws.once('open', () => {
      ws.terminate();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
}

function cmdline(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
}

const event = JSON.stringify({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math' });

describe('security', () => {
  test('auth: missing, wrong, empty, very long and almost-right keys are refused at the handshake; the right key works; no key leaks', async () => {
    const { cli, port, url } = await serve([], { HANGAR_API_KEY: SECRET });
    const attempts: Array<[string, Record<string, string>, number[]]> = [
      ['none', {}, [401]],
      ['empty X-API-Key', { 'X-API-Key': '' }, [401]],
      ['empty Bearer', { Authorization: 'Bearer ' }, [401, 403]],
      ['wrong', { 'X-API-Key': 'wrong-key' }, [403]],
      ['wrong bearer', { Authorization: 'Bearer wrong-key' }, [403]],
      ['prefix', { 'X-API-Key': SECRET.slice(0, -1) }, [403]],
      ['one char off', { 'X-API-Key': `${SECRET.slice(0, -1)}g` }, [403]],
      ['with suffix', { 'X-API-Key': `${SECRET}x` }, [403]],
      ['upper case', { 'X-API-Key': SECRET.toUpperCase() }, [403]],
      ['basic scheme', { Authorization: `Basic ${Buffer.from(`user:${SECRET}`).toString('base64')}` }, [403]],
      ['long (8 KiB)', { 'X-API-Key': 'k'.repeat(8 * 1024) }, [403]],
      // Beyond Node's header limit: refused before our code runs (431), still never 101.
      ['huge (20 KiB)', { 'X-API-Key': 'k'.repeat(20 * 1024) }, [403, 431, 400, -1]],
    ];
    const bodies: string[] = [];
    for (const [what, headers, statuses] of attempts) {
      const result = await handshake(url, headers);
      expect(statuses, `${what}: got ${result.status}`).toContain(result.status);
      bodies.push(result.body);
    }
    expect((await handshake(url, { 'X-API-Key': SECRET })).status).toBe(101);
    expect((await handshake(url, { Authorization: `Bearer ${SECRET}` })).status).toBe(101);
    // POST with a wrong key: refused, nothing published.
    const post = await httpRequest(port, '/api/events', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-API-Key': `${SECRET}x` }, body: event });
    expect(post.status).toBe(403);
    const health = await httpRequest(port, '/health');
    expect(JSON.parse(health.body)).toMatchObject({ events_published: 0 });
    // No key anywhere: output, refusal bodies, /health, the command line.
    for (const text of [cli.stderr(), cli.stdout(), ...bodies, post.body, health.body, cmdline(cli.child.pid!)]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('wrong-key');
    }
  }, 60_000);

  test('--api-key-file keeps the key out of argv and output', async () => {
    const file = join(dir, 'keys');
    writeFileSync(file, `# keys\n${SECRET}\n`);
    const { cli, url } = await serve(['--api-key-file', file]);
    expect(cmdline(cli.child.pid!)).not.toContain(SECRET);
    expect((await handshake(url, {})).status).toBe(401);
    expect((await handshake(url, { 'X-API-Key': SECRET })).status).toBe(101);
    expect(cli.stderr()).not.toContain(SECRET);
  }, 60_000);

  test('tail and publish never print the key they send', async () => {
    const { port, url } = await serve([], { HANGAR_API_KEY: SECRET });
    const wrong = `${SECRET}-wrong`;
    const tail = await runCli(['tail', url, '-o', 'ndjson', '-k', wrong, '--no-reconnect'], { timeoutMs: 20_000 });
    expect(tail.code).toBe(4);
    const keyFile = join(dir, 'wrong-key');
    writeFileSync(keyFile, `${wrong}\n`);
    const publish = await runCli(['publish', '--url', `http://127.0.0.1:${port}`, '--api-key-file', keyFile], { input: `${event}\n`, timeoutMs: 20_000 });
    expect(publish.code).not.toBe(0);
    for (const text of [tail.stderr, tail.stdout, publish.stderr, publish.stdout]) expect(text).not.toContain(SECRET);
  }, 60_000);

  test('browser context: cross-site WebSocket and POST are refused; DNS-rebinding Host headers are refused', async () => {
    const { port, url } = await serve([]);
    const browser = { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'websocket' };
    expect((await handshake(url, browser)).status).toBe(403);
    expect((await handshake(url, { Origin: 'null' })).status).toBe(403);
    const posts: HttpResult[] = [
      await httpRequest(port, '/api/events', { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' }, body: event }),
      // A "simple" request a page can send without a CORS preflight.
      await httpRequest(port, '/api/events', { method: 'POST', headers: { 'Content-Type': 'text/plain', Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'no-cors' }, body: event }),
    ];
    for (const post of posts) expect(post.status).toBe(403);
    const rebinding = `evil.example:${port}`;
    expect((await handshake(url, { Host: rebinding })).status).toBe(403);
    expect((await httpRequest(port, '/health', { headers: { Host: rebinding } })).status).toBe(403);
    expect((await httpRequest(port, '/api/events', { method: 'POST', headers: { Host: rebinding, 'Content-Type': 'application/json' }, body: event })).status).toBe(403);
    // Nothing got in; a CLI client (no Origin, loopback Host) still does.
    expect(JSON.parse((await httpRequest(port, '/health')).body)).toMatchObject({ events_published: 0 });
    expect((await handshake(url, {})).status).toBe(101);
    expect((await httpRequest(port, '/api/events', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: event })).status).toBe(202);
  }, 60_000);

  test('a non-loopback bind without a key is refused and says why (nothing listens)', async () => {
    const result = await runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--no-demo'], { timeoutMs: 15_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without an API key/);
    expect(result.stderr).toMatch(/--insecure-no-auth/);
    expect(result.stderr).not.toMatch(/listening on/);
    expect(result.stderr).not.toMatch(/^ {4}at /m);
  }, 30_000);

  test('the installed and locked ws include the CVE-2024-37890 fix (>= 8.17.1)', () => {
    const require = createRequire(import.meta.url);
    const installed = (require('ws/package.json') as { version: string }).version;
    const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, { version?: string }> };
    const atLeast = (v: string) => {
      const [major, minor, patch] = v.split('.').map(Number) as [number, number, number];
      return major > 8 || (major === 8 && (minor > 17 || (minor === 17 && patch >= 1)));
    };
    expect(atLeast(installed), `installed ws ${installed}`).toBe(true);
    const locked = lock.packages['node_modules/ws']?.version ?? '0.0.0';
    expect(atLeast(locked), `locked ws ${locked}`).toBe(true);
    // Every ws in the tree, not only the top one.
    for (const [path, info] of Object.entries(lock.packages)) if (/(^|\/)node_modules\/ws$/.test(path)) expect(atLeast(info.version ?? '0.0.0'), path).toBe(true);
  });
});
