import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHttpClient, HttpError } from '../../src/client/http.js';
import { requireProgram } from '../helpers/require-program.js';

/** The one HTTP client against real servers on loopback: what it sends, what it answers, how it fails. */

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

function handler(answer: (seen: Seen, res: ServerResponse) => void, seen: Seen[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(s);
      answer(s, res);
    });
  };
}

async function recorder(answer: (seen: Seen, res: ServerResponse) => void): Promise<{ base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const port = await listen(createServer(handler(answer, seen)));
  return { base: `http://127.0.0.1:${port}`, seen };
}

describe('createHttpClient', () => {
  it('sends the credentials, shared and per-request headers, and a JSON body; answers status, text and parsed JSON', async () => {
    const { base, seen } = await recorder((s, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ got: JSON.parse(s.body || 'null') })));
    const client = createHttpClient({ credentials: { apiKey: 'k-1', extra: [['X-Team', 'ops']] }, headers: { 'X-Shared': 'yes' } });
    try {
      const answer = await client.request({ method: 'POST', url: `${base}/api/approvals/a1/resolve`, json: { decision: 'approve' }, headers: { 'X-Shared': 'mine' } });
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ got: { decision: 'approve' } });
      expect(answer.text).toBe('{"got":{"decision":"approve"}}');
      const [request] = seen;
      expect(request).toMatchObject({ method: 'POST', url: '/api/approvals/a1/resolve', body: '{"decision":"approve"}' });
      expect(request!.headers).toMatchObject({ 'x-api-key': 'k-1', 'x-team': 'ops', 'x-shared': 'mine', 'content-type': 'application/json', accept: 'application/json' });
    } finally {
      client.close();
    }
  });

  it('sends a bearer token as Authorization, a raw body with its content type; any status is an answer, a text body has no json', async () => {
    const { base, seen } = await recorder((_s, res) => res.writeHead(503).end('busy, come back later'));
    const client = createHttpClient({ credentials: { apiKey: 'tok', bearer: true }, userAgent: 'hangar-events-test' });
    try {
      const answer = await client.request({ method: 'POST', url: new URL(`${base}/api/events`), body: { text: '{"a":1}\n', contentType: 'application/x-ndjson' } });
      expect(answer).toMatchObject({ status: 503, text: 'busy, come back later', json: undefined });
      expect(seen[0]!.headers).toMatchObject({ authorization: 'Bearer tok', 'content-type': 'application/x-ndjson', 'user-agent': 'hangar-events-test' });
      expect(seen[0]!.headers['x-api-key']).toBeUndefined();
      expect(seen[0]!.body).toBe('{"a":1}\n');
    } finally {
      client.close();
    }
  });

  it('uses one kept-alive connection for requests in a row', async () => {
    const { base, seen } = await recorder((_s, res) => res.writeHead(200).end('[]'));
    const sockets = new Set<unknown>();
    servers[0]!.on('connection', (socket) => sockets.add(socket));
    const client = createHttpClient();
    try {
      for (let i = 0; i < 3; i++) expect((await client.request({ method: 'GET', url: `${base}/api/approvals` })).json).toEqual([]);
      expect(seen).toHaveLength(3);
      expect(sockets.size).toBe(1);
    } finally {
      client.close();
    }
  });

  it('a refused connection: an HttpError worded once (close-reasons), naming what should listen', async () => {
    const port = await listen(createServer());
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    const client = createHttpClient({ serverName: "'hangar-events serve'" });
    const error = await client.request({ method: 'GET', url: `http://127.0.0.1:${port}/x` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).code).toBe('ECONNREFUSED');
    expect((error as HttpError).message).toBe("connection refused (is 'hangar-events serve' running?)");
    const plain = await createHttpClient().request({ method: 'GET', url: `http://127.0.0.1:${port}/x` }).catch((e: unknown) => e);
    expect((plain as HttpError).message).toBe('connection refused (is the server running?)');
  });

  it('no answer within the timeout, or an answer over the size limit: an HttpError that says so', async () => {
    const { base } = await recorder((s, res) => {
      if (s.url === '/big') res.writeHead(200).end('x'.repeat(4096));
      // /slow: never answers (the client gives up first; the server closes it at the end)
    });
    const client = createHttpClient({ timeoutMs: 150, maxResponseBytes: 1024 });
    try {
      const slow = await client.request({ method: 'GET', url: `${base}/slow` }).catch((e: unknown) => e);
      expect(slow).toMatchObject({ name: 'HttpError', code: 'ETIMEDOUT', message: 'no answer within 150ms' });
      const big = await client.request({ method: 'GET', url: `${base}/big` }).catch((e: unknown) => e);
      expect(big).toMatchObject({ name: 'HttpError', code: 'ETOOLARGE', message: 'the answer is larger than 1024 bytes' });
    } finally {
      client.close();
      servers[0]!.closeAllConnections();
    }
  });
});

const tls = requireProgram('openssl');

tls.describe('createHttpClient over https', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-http-tls-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  tls.it('trusts the given CA, refuses a self-signed certificate without it, and skips verification when insecure', async () => {
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ]);
    const cert = readFileSync(join(dir, 'cert.pem'));
    const seen: Seen[] = [];
    const port = await listen(createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, handler((_s, res) => res.writeHead(200).end('{"ok":true}'), seen)));
    const url = `https://127.0.0.1:${port}/api/mcp_servers`;
    for (const options of [{ ca: cert }, { insecure: true }]) {
      const client = createHttpClient(options);
      expect((await client.request({ method: 'GET', url })).json).toEqual({ ok: true });
      client.close();
    }
    const strict = createHttpClient();
    const refused = await strict.request({ method: 'GET', url }).catch((e: unknown) => e);
    strict.close();
    expect(refused).toMatchObject({ name: 'HttpError', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(seen).toHaveLength(2);
  }, 60_000);
});
