import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WebSocketServer } from 'ws';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { requireProgram } from '../helpers/require-program.js';
import { killAll, runCli, startCli } from '../helpers/spawn.js';

/**
 * TLS and redirect failures cannot be fixed by retrying: tail exits at once
 * (exit 5; a bad --ca file is a usage error, exit 2) and says what to do.
 * Without that, each of these looped on "reconnecting" forever, so every
 * test here would hit its time limit on such a build.
 */

const exec = promisify(execFile);
let dir = '';
const servers: Server[] = [];

afterEach(async () => {
  await killAll();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A wss:// gateway with the self-signed certificate: acks the first subscribe (as a gateway does), then sends one event. */
async function startWss(): Promise<number> {
  const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) });
  const wss = new WebSocketServer({ server, path: '/api/ws/events' });
  wss.on('connection', (ws) =>
    ws.once('message', () => {
      ws.send(JSON.stringify({ type: 'subscribed', event_types: [], mcp_server_ids: [] }));
      ws.send(JSON.stringify({ event_type: 'McpServerStarted', mcp_server_id: 'math', event_id: 'e1', occurred_at: 1 }));
    }),
  );
  server.on('close', () => wss.close());
  return listen(server);
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1)!;
}

const tls = requireProgram('openssl');

tls.describe('tail: TLS and redirect failures', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-tls-'));
    await exec('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ]);
    await exec('openssl', ['x509', '-in', join(dir, 'cert.pem'), '-outform', 'der', '-out', join(dir, 'cert.der')]);
    writeFileSync(join(dir, 'notes.txt'), 'this is not a certificate\n');
  }, 60_000);

  tls.it('a self-signed certificate: exit 5 at once, naming --ca FILE and --insecure (even with -q)', async () => {
    const port = await startWss();
    const result = await runCli(['tail', `wss://127.0.0.1:${port}`, '-q'], { timeoutMs: 30_000 });
    expect(result.code).toBe(5);
    expect(result.stderr).toBe(
      `hangar-events: cannot connect: TLS: wss://127.0.0.1:${port}/api/ws/events presented a self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT); pass the CA certificate (PEM) that signed it with --ca FILE, or --insecure to skip verification (testing only)\n`,
    );
    expect(result.stdout).toBe('');
  });

  tls.it('the same server with --ca cert.pem, or --insecure, streams', async () => {
    const port = await startWss();
    for (const flags of [['--ca', join(dir, 'cert.pem')], ['--insecure']]) {
      const result = await runCli(['tail', `wss://127.0.0.1:${port}`, '-n', '1', ...flags], { timeoutMs: 30_000 });
      expect(result.code, flags.join(' ')).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ event_type: 'McpServerStarted', mcp_server_id: 'math' });
    }
  });

  tls.it('a --ca that is not PEM: exit 2 before connecting, saying what the file is', async () => {
    const der = await runCli(['tail', 'wss://127.0.0.1:1', '--ca', join(dir, 'cert.der')]);
    expect(der.code).toBe(2);
    expect(der.stderr).toContain(`--ca ${join(dir, 'cert.der')} is not a PEM CA certificate: it looks like a DER (binary) certificate; convert it: openssl x509 -inform der -in ${join(dir, 'cert.der')} -out ca.pem`);
    const text = await runCli(['tail', 'wss://127.0.0.1:1', '--ca', join(dir, 'notes.txt')]);
    expect(text.code).toBe(2);
    expect(text.stderr).toContain('is not a PEM CA certificate: no -----BEGIN CERTIFICATE----- block found');
    const key = await runCli(['tail', 'wss://127.0.0.1:1', '--ca', join(dir, 'key.pem')]);
    expect(key.code).toBe(2);
    expect(key.stderr).toContain('it holds a private key, not a certificate');
  });

  tls.it('https:// to a plain ws:// server: exit 5, "this port speaks plain ws://"', async () => {
    const serve = startCli(['serve', '--port', '0', '--no-demo']);
    const [, port] = await serve.waitFor('stderr', /listening on ws:\/\/127\.0\.0\.1:(\d+)/, 15_000);
    const result = await runCli(['tail', `https://127.0.0.1:${port}`], { timeoutMs: 30_000 });
    expect(result.code).toBe(5);
    expect(result.stderr).not.toContain('reconnecting');
    expect(lastLine(result.stderr)).toBe(
      `hangar-events: cannot connect: TLS handshake failed: wss://127.0.0.1:${port}/api/ws/events does not speak TLS; this port speaks plain ws://: use ws://127.0.0.1:${port}/api/ws/events`,
    );
  });

  tls.it('HTTP 301 on the upgrade: exit 5, naming the Location to use instead', async () => {
    const server = createHttpServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (_req, socket) => {
      socket.end('HTTP/1.1 301 Moved Permanently\r\nLocation: https://hangar.example.com/api/ws/events\r\nContent-Length: 0\r\n\r\n');
    });
    const port = await listen(server);
    const result = await runCli(['tail', `ws://127.0.0.1:${port}`], { timeoutMs: 30_000 });
    expect(result.code).toBe(5);
    expect(result.stderr).not.toContain('reconnecting');
    expect(lastLine(result.stderr)).toBe(
      `hangar-events: cannot connect: ws://127.0.0.1:${port}/api/ws/events redirects (HTTP 301) to https://hangar.example.com/api/ws/events; tail does not follow redirects: connect to wss://hangar.example.com/api/ws/events instead`,
    );
  });
});
