import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { DEFAULT_SERVER_OPTIONS, startServer } from '../../src/server/server.js';
import { closeAll, connect, eventually, handshakeStatus, httpRequest, realClockIO, startTestServer, testEvent } from './serve-support.js';
import { SERVE_SERVER_HINTS } from '../../src/commands/serve/flag-hints.js';

afterEach(closeAll);

const KEY = 'k3y-for-tests-0123456789';

describe('serve: the upgrade guard', () => {
  it('refuses a missing key with 401 and a wrong one with 403, in both header forms, and accepts the right one', async () => {
    const server = await startTestServer({ apiKeys: ['other-key', KEY] });
    const missing = await handshakeStatus(server.url);
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body)).toMatchObject({ error: 'unauthorized' });
    expect((await handshakeStatus(server.url, { 'X-API-Key': 'wrong' })).status).toBe(403);
    expect((await handshakeStatus(server.url, { Authorization: 'Bearer wrong' })).status).toBe(403);
    expect((await handshakeStatus(server.url, { 'X-API-Key': `${KEY}x` })).status).toBe(403);
    expect((await handshakeStatus(server.url, { 'X-API-Key': KEY.slice(0, -1) })).status).toBe(403);
    expect((await handshakeStatus(server.url, { Authorization: `Basic ${KEY}` })).status).toBe(403);
    expect((await handshakeStatus(server.url, { 'X-API-Key': 'k'.repeat(8000) })).status).toBe(403);
    const refusedBody = (await handshakeStatus(server.url, { 'X-API-Key': 'wrong-key-value' })).body;
    expect(refusedBody).not.toContain('wrong-key-value');
    expect(refusedBody).not.toContain(KEY);
    expect((await handshakeStatus(server.url, { 'X-API-Key': KEY })).status).toBe(101);
    expect((await handshakeStatus(server.url, { Authorization: `Bearer ${KEY}` })).status).toBe(101);
    const client = await connect(server.url, { headers: { Authorization: `Bearer ${KEY}` } });
    server.hub.publish(testEvent(1));
    await client.next((f) => f.seq === 1, 'event with auth');
  });

  it('allows no Origin, refuses an Origin not on the list, and allows a listed one', async () => {
    const server = await startTestServer({ allowOrigins: ['https://dashboard.example'] });
    expect((await handshakeStatus(server.url)).status).toBe(101);
    const refused = await handshakeStatus(server.url, { Origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'origin_not_allowed' });
    expect((await handshakeStatus(server.url, { Origin: 'https://dashboard.example' })).status).toBe(101);
    expect((await handshakeStatus(server.url, { Origin: 'https://DASHBOARD.example/' })).status).toBe(101);
  });

  it('refuses a DNS-rebinding Host header on a loopback bind', async () => {
    const server = await startTestServer();
    const rebound = await handshakeStatus(server.url, { Host: `evil.example:${server.port}` });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ error: 'host_not_allowed' });
    expect((await handshakeStatus(server.url, { Host: `localhost:${server.port}` })).status).toBe(101);
    expect((await handshakeStatus(server.url, { Host: `[::1]:${server.port}` })).status).toBe(101);
    const health = await httpRequest(server, '/health', { headers: { Host: 'evil.example' } });
    expect(health.status).toBe(403);
  });

  it('answers 404 on another path and 503 beyond --max-clients', async () => {
    const server = await startTestServer({ maxClients: 2 });
    expect((await handshakeStatus(server.url.replace('/api/ws/events', '/elsewhere'))).status).toBe(404);
    const a = await connect(server.url);
    await connect(server.url);
    const full = await handshakeStatus(server.url);
    expect(full.status).toBe(503);
    a.ws.close();
    await a.closed;
    // The freed slot is usable again once the server has seen the close.
    await eventually(() => server.connections().length === 1, 'the server to see the close');
    expect((await handshakeStatus(server.url)).status).toBe(101);
  });

  it('refuses a non-loopback bind without an API key and says why', async () => {
    const promise = startServer({ ...DEFAULT_SERVER_OPTIONS, host: '0.0.0.0', port: 0 }, realClockIO());
    await expect(promise).rejects.toBeInstanceOf(UsageError);
    // Embedded, the server names its settings; serve (the binary) names its flags.
    await expect(promise).rejects.toThrow(/without an API key.*set insecureNoAuth if the network is trusted/s);
    await expect(promise).rejects.not.toThrow(/--/);
    const viaServe = startServer({ ...DEFAULT_SERVER_OPTIONS, hints: SERVE_SERVER_HINTS, host: '0.0.0.0', port: 0 }, realClockIO());
    await expect(viaServe).rejects.toThrow(/without an API key.*--insecure-no-auth/s);
  });
});

describe('serve: plain HTTP', () => {
  it('serves /health, 426 on the WebSocket path, 404 JSON elsewhere', async () => {
    const server = await startTestServer({ apiKeys: [KEY] });
    server.hub.publish(testEvent(1));
    const health = await httpRequest(server, '/health');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: 'ok', clients: 0, events_published: 1, events_delivered: 0, events_dropped: 0 });
    expect(typeof health.json.uptime_s).toBe('number');
    expect(JSON.stringify(health.json)).not.toContain(KEY);
    const plain = await httpRequest(server, '/api/ws/events');
    expect(plain.status).toBe(426);
    expect(plain.headers.upgrade).toBe('websocket');
    const missing = await httpRequest(server, '/nope');
    expect(missing.status).toBe(404);
    expect(missing.json.error).toBe('not_found');
  });
});

describe('serve: --path', () => {
  it('serves the stream on another path, and only there', async () => {
    const server = await startTestServer({ path: '/events' });
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}/events`);
    const client = await connect(`${server.url}?token=ignored`);
    server.hub.publish(testEvent(1));
    await client.next((f) => f.seq === 1, 'event on /events');
    expect((await handshakeStatus(`ws://127.0.0.1:${server.port}/api/ws/events`)).status).toBe(404);
    expect((await httpRequest(server, '/events')).status).toBe(426);
  });
});

describe('serve: HTTP ingest', () => {
  it('accepts an object, an array and NDJSON with 202 and the count, and publishes them', async () => {
    const server = await startTestServer();
    const client = await connect(server.url);
    const one = await httpRequest(server, '/api/events', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(testEvent(1)) });
    expect(one).toMatchObject({ status: 202, json: { accepted: 1 } });
    const array = await httpRequest(server, '/api/events', { method: 'POST', body: JSON.stringify([testEvent(2), testEvent(3)]) });
    expect(array).toMatchObject({ status: 202, json: { accepted: 2 } });
    const ndjson = `${JSON.stringify(testEvent(4))}\n\n${JSON.stringify(testEvent(5))}\n`;
    expect(await httpRequest(server, '/api/events', { method: 'POST', headers: { 'Content-Type': 'application/x-ndjson' }, body: ndjson })).toMatchObject({
      status: 202,
      json: { accepted: 2 },
    });
    await client.next((f) => f.seq === 5, 'ingested events');
    expect(client.events().map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    for (const event of client.events()) expect(typeof event.event_id).toBe('string');
  });

  it('refuses a batch with a bad line whole, with 400 naming the line, and publishes nothing from it', async () => {
    const server = await startTestServer();
    const body = [JSON.stringify(testEvent(1)), JSON.stringify(testEvent(2)), '{"event_type": 3}', JSON.stringify(testEvent(4))].join('\n');
    const refused = await httpRequest(server, '/api/events', { method: 'POST', body });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error: 'bad_event', line: 3 });
    expect(refused.json.message).toMatch(/line 3: .*event_type/);
    const truncated = await httpRequest(server, '/api/events', { method: 'POST', body: `${JSON.stringify(testEvent(1))}\n{"event_type": "X", "a` });
    expect(truncated.json).toMatchObject({ line: 2 });
    expect(truncated.json.message).toMatch(/not valid JSON/);
    const arrayBad = await httpRequest(server, '/api/events', { method: 'POST', body: '[{"event_type":"A"}, 7]' });
    expect(arrayBad).toMatchObject({ status: 400, json: { line: 2 } });
    expect(arrayBad.json.message).toMatch(/array item 2/);
    expect(server.health().events_published).toBe(0);
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const server = await startTestServer();
    const big = JSON.stringify(testEvent(1, { padding: 'x'.repeat(1024 * 1024) }));
    const refused = await httpRequest(server, '/api/events', { method: 'POST', body: big });
    expect(refused.status).toBe(413);
    // Without Content-Length (chunked), the limit holds too.
    const chunked = await httpRequest(server, '/api/events', { method: 'POST', headers: { 'Transfer-Encoding': 'chunked' }, body: big });
    expect(chunked.status).toBe(413);
    expect(server.health().events_published).toBe(0);
  });

  it('applies the same credentials and refuses foreign origins', async () => {
    const server = await startTestServer({ apiKeys: [KEY] });
    const body = JSON.stringify(testEvent(1));
    expect((await httpRequest(server, '/api/events', { method: 'POST', body })).status).toBe(401);
    expect((await httpRequest(server, '/api/events', { method: 'POST', body, headers: { 'X-API-Key': 'nope' } })).status).toBe(403);
    const crossSite = await httpRequest(server, '/api/events', { method: 'POST', body, headers: { 'X-API-Key': KEY, Origin: 'https://evil.example', 'Content-Type': 'text/plain' } });
    expect(crossSite.status).toBe(403);
    expect(crossSite.json.error).toBe('origin_not_allowed');
    expect(server.health().events_published).toBe(0);
    expect((await httpRequest(server, '/api/events', { method: 'POST', body, headers: { Authorization: `Bearer ${KEY}` } })).status).toBe(202);
    expect((await httpRequest(server, '/api/events', { method: 'GET' })).status).toBe(405);
  });
});
