import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BIN, e2eEnv, killAll, runCli, startCli } from '../helpers/spawn.js';
import { commandFor, requireProgram } from '../helpers/require-program.js';

afterEach(killAll);

async function startServe(args: string[] = [], env: Record<string, string> = {}) {
  const cli = startCli(['serve', '--port', '0', '--no-demo', ...args], { env });
  const match = await cli.waitFor('stderr', /listening on (ws:\/\/127\.0\.0\.1:(\d+)\/api\/ws\/events)/);
  return { cli, url: match[1]!, port: Number(match[2]) };
}

async function post(port: number, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${port}/api/events`, { method: 'POST', body, headers });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('serve (spawned binary)', () => {
  it('an exported HANGAR_API_KEY (meant for a gateway) is named in the log, never shown', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--no-demo'], {
      env: { ...e2eEnv(), HANGAR_API_KEY: 'gateway-key-123' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    const auth = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: string) => {
        stderr += d;
        const line = stderr.split('\n').find((l) => l.includes('clients must send an API key'));
        if (line) resolve(line);
      });
      child.on('close', () => reject(new Error(`serve exited: ${stderr}`)));
    });
    const closed = new Promise((resolve) => child.on('close', resolve));
    child.kill('SIGTERM');
    await closed;
    expect(auth).toBe(
      'clients must send an API key (1 accepted, from HANGAR_API_KEY); HANGAR_API_KEY is set in this environment (unset it for a serve without a key, or pass --api-key to choose one)',
    );
    expect(stderr).not.toContain('gateway-key-123');
  });

  it('prints the real port, logs connects, and on SIGTERM closes clients with 1001 and exits 0', async () => {
    const { cli, url } = await startServe();
    const ws = new WebSocket(url);
    ws.on('error', () => {});
    await new Promise((resolve) => ws.once('open', resolve));
    await cli.waitFor('stderr', /client #1 connected from 127\.0\.0\.1/);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    cli.child.kill('SIGTERM');
    expect(await closed).toBe(1001);
    const exit = await cli.exited;
    expect(exit.code).toBe(0);
    expect(cli.stdout()).toBe('');
    expect(cli.stderr()).toMatch(/shutting down/);
  });

  requireProgram('python3-websockets').it('serves a client no one here wrote: python websockets receives ingested events', async () => {
    const { port } = await startServe();
    const script = [
      'import asyncio, json, sys, websockets',
      'async def main():',
      `    async with websockets.connect("ws://127.0.0.1:${port}/api/ws/events") as ws:`,
      '        await ws.send(json.dumps({"type": "subscribe", "event_types": ["McpServerStarted"]}))',
      '        acked = False',
      '        while True:',
      '            frame = json.loads(await ws.recv())',
      '            if frame.get("type") == "subscribed":',
      '                acked = True',
      '                print(json.dumps(frame), flush=True)',
      '            elif acked and "event_type" in frame:',
      '                print(json.dumps(frame), flush=True)',
      '                return',
      'asyncio.run(asyncio.wait_for(main(), 15))',
    ].join('\n');
    const python = spawn(commandFor('python3-websockets'), ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    python.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    python.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((resolve) => python.on('close', (code) => resolve(code)));
    // Publish until the python client has its event (it may subscribe after the first post).
    const event = { event_type: 'McpServerStarted', mcp_server_id: 'math', mode: 'subprocess', tools_count: 3, startup_duration_ms: 120 };
    let code: number | null | undefined;
    void exited.then((c) => (code = c));
    for (let i = 0; i < 200 && code === undefined; i++) {
      expect((await post(port, JSON.stringify(event))).status).toBe(202);
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 50))]);
    }
    expect(await exited, err).toBe(0);
    const lines = out.trim().split('\n');
    expect(JSON.parse(lines[0]!)).toEqual({ type: 'subscribed', event_types: ['McpServerStarted'], mcp_server_ids: [], instance_id: expect.any(String) });
    expect(JSON.parse(lines[1]!)).toMatchObject({ ...event, event_id: expect.any(String), occurred_at: expect.any(Number) });
  });

  it('keeps keys out of its output and takes them from --api-key-file and --api-key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serve-keys-'));
    const keyFile = join(dir, 'keys');
    writeFileSync(keyFile, '# comment\nfile-key-123456\n\n');
    const { cli, port } = await startServe(['--api-key-file', keyFile, '--api-key', 'flag-key-abcdef', '--log-format', 'json']);
    const body = JSON.stringify({ event_type: 'X' });
    expect((await post(port, body)).status).toBe(401);
    expect((await post(port, body, { 'X-API-Key': 'nope' })).status).toBe(403);
    expect((await post(port, body, { 'X-API-Key': 'file-key-123456' })).status).toBe(202);
    expect((await post(port, body, { Authorization: 'Bearer flag-key-abcdef' })).status).toBe(202);
    cli.child.kill('SIGINT');
    expect((await cli.exited).code).toBe(0);
    const log = cli.stderr();
    for (const line of log.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    expect(log).not.toContain('file-key-123456');
    expect(log).not.toContain('flag-key-abcdef');
  });

  it('refuses a non-loopback bind without a key (exit 2, says why) and bad flag values', async () => {
    const open = await runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--no-demo']);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/without an API key/);
    expect(open.stderr).toMatch(/--insecure-no-auth/);
    const badDuration = await runCli(['serve', '--ping-interval', 'soon']);
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toMatch(/--ping-interval/);
    const badFile = await runCli(['serve', '--api-key-file', '/nonexistent/keys', '--port', '0', '--no-demo']);
    expect(badFile.code).toBe(2);
    expect(badFile.stderr).toMatch(/--api-key-file/);
  });
});
