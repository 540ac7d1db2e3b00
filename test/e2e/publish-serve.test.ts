import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { killAll, runCli, startCli } from '../helpers/spawn.js';

/** publish against the real `serve`: what it posts reaches a WebSocket client, restamped by serve. */

const dir = mkdtempSync(join(tmpdir(), 'hangar-publish-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await killAll();
});

const KEY = 'e2e-publish-key-7f3a';

async function startServe(): Promise<{ wsUrl: string; hostPort: string }> {
  const keyFile = join(dir, 'keys.txt');
  writeFileSync(keyFile, `# test key\n${KEY}\n`);
  const serve = startCli(['serve', '--port', '0', '--no-demo', '--api-key-file', keyFile], { stdin: 'ignore' });
  const match = await serve.waitFor('stderr', /listening on (ws:\/\/(127\.0\.0\.1:\d+)\/api\/ws\/events)/, 15_000);
  return { wsUrl: match[1]!, hostPort: match[2]! };
}

/** A subscribed WebSocket client that collects events. */
async function subscribe(wsUrl: string): Promise<{ events: Record<string, unknown>[]; waitForEvents(n: number): Promise<void> }> {
  const socket = new WebSocket(wsUrl, { headers: { 'X-API-Key': KEY } });
  sockets.push(socket);
  const events: Record<string, unknown>[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let subscribed: () => void = () => {};
  const ack = new Promise<void>((resolve) => (subscribed = resolve));
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data)) as Record<string, unknown>;
    if (frame.type === 'subscribed') subscribed();
    if (typeof frame.event_type === 'string') {
      events.push(frame);
      for (const w of waiters.filter((w) => events.length >= w.n)) w.resolve();
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'subscribe' }));
  await ack;
  return {
    events,
    waitForEvents: (n) => (events.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

describe('publish -> serve -> WebSocket client', () => {
  it('delivers published events with their fields, and serve assigns event_id/occurred_at when missing', async () => {
    const { wsUrl, hostPort } = await startServe();
    const client = await subscribe(wsUrl);
    const file = join(dir, 'events.ndjson');
    writeFileSync(
      file,
      [
        '{"event_type": "McpServerStarted", "mcp_server_id": "math", "mode": "subprocess", "tools_count": 6, "startup_duration_ms": 312.5}',
        '',
        '{"event_type": "ToolInvocationCompleted", "mcp_server_id": "math", "tool_name": "add", "correlation_id": "c-1", "duration_ms": 2.5, "result_size_bytes": 24, "identity_context": null}',
        '{"event_type": "MyOwnThing", "event_id": "keep-this-id", "occurred_at": 1795727378.5, "detail": {"nested": [1, 2]}}',
      ].join('\r\n'),
    );
    const result = await runCli(['publish', file, '--url', wsUrl, '--api-key-file', join(dir, 'keys.txt'), '--batch-size', '2']);
    expect(result).toMatchObject({ code: 0, stdout: '', stderr: `hangar-events: published 3 events to http://${hostPort}/api/events\n` });
    await client.waitForEvents(3);
    expect(client.events.map((e) => e.event_type)).toEqual(['McpServerStarted', 'ToolInvocationCompleted', 'MyOwnThing']);
    expect(client.events[0]).toMatchObject({ mcp_server_id: 'math', mode: 'subprocess', tools_count: 6, startup_duration_ms: 312.5 });
    expect(typeof client.events[0]!.event_id).toBe('string');
    expect(typeof client.events[0]!.occurred_at).toBe('number');
    expect(client.events[2]).toMatchObject({ event_id: 'keep-this-id', occurred_at: 1795727378.5, detail: { nested: [1, 2] } });
  }, 60_000);

  it('exits 4 when serve refuses the key, and 1 with nothing published for a bad file', async () => {
    const { wsUrl, hostPort } = await startServe();
    const client = await subscribe(wsUrl);
    const file = join(dir, 'one.ndjson');
    writeFileSync(file, '{"event_type": "A"}\n');
    const wrong = await runCli(['publish', file, '--url', hostPort, '--api-key', 'not-the-key']);
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain(`http://${hostPort}/api/events refused the API key from --api-key (HTTP 403)`);
    expect(wrong.stderr).not.toContain('not-the-key');
    const none = await runCli(['publish', file, '--url', hostPort]);
    expect(none.code).toBe(4);
    expect(none.stderr).toContain('requires an API key (HTTP 401)');

    const bad = join(dir, 'bad.ndjson');
    writeFileSync(bad, '{"event_type": "A"}\n{"event_type": 42}\n');
    const refused = await runCli(['publish', bad, '--url', hostPort, '--api-key', KEY]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${bad} line 2: an event needs a non-empty string "event_type"`);

    // Nothing above reached the client; a good publish afterwards does, alone.
    const ok = await runCli(['publish', file, '--url', hostPort, '--api-key', KEY]);
    expect(ok.code).toBe(0);
    await client.waitForEvents(1);
    expect(client.events.map((e) => e.event_type)).toEqual(['A']);
  }, 60_000);
  it('refuses a batch whole when one event is nested too deep to serialize: 400 naming the line, nothing published; publish exits 1 (issue 22 #3)', async () => {
    const { wsUrl, hostPort } = await startServe();
    const client = await subscribe(wsUrl);
    const deep = (depth: number) => `{"event_type": "Deep", "data": ${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const post = async (body: string) => {
      const response = await fetch(`http://${hostPort}/api/events`, { method: 'POST', headers: { 'Content-Type': 'application/x-ndjson', 'X-API-Key': KEY }, body });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    // Was 202 {"accepted":2} with the deep one silently lost, and 202 {"accepted":0} for the single one.
    const three = await post(['{"event_type": "First"}', deep(10_000), '{"event_type": "Third"}'].join('\n') + '\n');
    expect(three).toMatchObject({ status: 400, body: { error: 'bad_event', line: 2, unit: 'line' } });
    expect(three.body.message).toMatch(/^nothing was published: line 2: the event is nested deeper than 1000 levels/);
    expect(await post(deep(5000))).toMatchObject({ status: 400, body: { error: 'bad_event', line: 1 } });

    const file = join(dir, 'deep.ndjson');
    writeFileSync(file, ['{"event_type": "First"}', deep(10_000), '{"event_type": "Third"}'].join('\n') + '\n');
    const published = await runCli(['publish', file, '--url', hostPort, '--api-key', KEY]);
    expect(published.code).toBe(1);
    expect(published.stderr).toContain(`${file} line 2: the event is nested deeper than 1000 levels`);
    expect(published.stderr).toContain('nothing was published');

    // Nothing above reached the client: the next good event is the first it sees.
    expect((await post('{"event_type": "After"}')).status).toBe(202);
    await client.waitForEvents(1);
    expect(client.events.map((e) => e.event_type)).toEqual(['After']);
  }, 60_000);
});
