import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killAll, runCli } from '../helpers/spawn.js';

/** The real binary's `publish`: exit codes and stderr, against a small recording HTTP server. */

const servers: Server[] = [];
afterEach(async () => {
  await killAll();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});
const dir = mkdtempSync(join(tmpdir(), 'hangar-publish-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function recorder(status = 202): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      bodies.push(body);
      const accepted = body.split('\n').filter((l) => l.trim()).length;
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(status === 202 ? { accepted } : { error: 'forbidden', message: 'the API key is not valid for this server' }));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

const lines = ['{"event_type": "McpServerStarted", "mcp_server_id": "math", "mode": "subprocess", "tools_count": 6, "startup_duration_ms": 300}', '{"event_type": "HealthCheckPassed", "mcp_server_id": "math", "duration_ms": 4}'];

describe('hangar-events publish', () => {
  it('publishes a file and exits 0, reporting on stderr only', async () => {
    const server = await recorder();
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, lines.join('\n') + '\n');
    const result = await runCli(['publish', file, '--url', server.url]);
    expect(result).toMatchObject({ code: 0, stdout: '', stderr: `hangar-events: published 2 events to http://${server.url}/api/events\n` });
    expect(server.bodies).toEqual([lines.join('\n') + '\n']);
  });

  it('publishes NDJSON piped on stdin, using HANGAR_URL', async () => {
    const server = await recorder();
    const result = await runCli(['publish'], { input: lines.join('\r\n'), env: { HANGAR_URL: `ws://${server.url}/api/ws/events` } });
    expect(result).toMatchObject({ code: 0, stderr: `hangar-events: published 2 events to http://${server.url}/api/events\n` });
  });

  it('exits 1 naming the bad line, 4 when the key is refused, 2 on a usage error', async () => {
    const server = await recorder();
    const bad = await runCli(['publish', '--url', server.url], { input: `${lines[0]}\nnot json\n` });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^hangar-events: stdin line 2: not valid JSON .*; 1 event up to line 1 was published; nothing from line 2 on was\n$/);

    const forbidding = await recorder(403);
    const auth = await runCli(['publish', '--url', forbidding.url], { input: lines[0]!, env: { HANGAR_API_KEY: 'not-the-key' } });
    expect(auth.code).toBe(4);
    expect(auth.stderr).toContain('refused the API key from HANGAR_API_KEY (HTTP 403)');
    expect(auth.stderr).not.toContain('not-the-key');

    const usage = await runCli(['publish', '--batch-size', 'many']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("invalid --batch-size 'many'");
  }, 60_000);
});
