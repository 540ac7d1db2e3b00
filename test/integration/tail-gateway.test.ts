import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuthError, ConnectionError, NotConnectedError, RuntimeError, TimeoutError } from '../../src/errors.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { closedPort } from '../helpers/ports.js';
import { gatewayEvent, pythonJson } from '../helpers/fake-gateway.js';
import { useGatewayTails } from '../helpers/run-tail.js';

const { gateway, tail } = useGatewayTails();

describe('tail against a gateway-like server', () => {
  it('subscribes at once, so events arrive without waiting out the 5 s window', async () => {
    const g = await gateway({ blindWindowMs: 60_000 });
    const t = tail([g.url, '-o', 'ndjson', '-q']);
    const conn = await g.waitForAttached(1);
    // Attached only because the subscribe came first: the window is a minute long.
    expect(JSON.parse(conn.received[0]!)).toEqual({ type: 'subscribe', replay: { last: 0 } });
    const event = gatewayEvent('McpServerStarted', { mcp_server_id: 'math', mode: 'subprocess', tools_count: 3, startup_duration_ms: 812.5 });
    g.publish(event);
    await t.waitFor('stdout', /McpServerStarted/);
    await t.interrupt();
    // The line is the frame exactly as the gateway sent it (python spacing), not re-serialised.
    expect(t.io.stdout.lines()).toEqual([pythonJson(event)]);
    expect(t.io.stdout.text()).toContain('"event_type": "McpServerStarted", ');
  });

  it('answers application pings, so the gateway keeps the connection for many intervals', async () => {
    const g = await gateway({ pingIntervalMs: 150, pongTimeoutMs: 300 });
    const t = tail([g.url, '-o', 'ndjson', '-q']);
    const conn = await g.waitForAttached(1);
    await g.waitUntil(() => conn.pongs >= 6, 15_000, 'six pongs');
    expect(conn.closedWith).toBeUndefined();
    expect(g.connections).toHaveLength(1);
    expect(conn.received.filter((m) => m === '{"type":"pong"}').length).toBe(conn.pongs);
    g.publish(gatewayEvent('HealthCheckPassed', { mcp_server_id: 'math', duration_ms: 3 }));
    await t.waitFor('stdout', /HealthCheckPassed/);
  });

  it('a client that does not answer pings is closed with 1000 by the fake gateway (as the real one does)', async () => {
    const g = await gateway({ pingIntervalMs: 100, pongTimeoutMs: 100 });
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(g.url);
    ws.on('open', () => ws.send('{"type": "subscribe"}'));
    const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
    expect(code).toBe(1000);
    expect(g.connections[0]!.pings).toBe(1);
  });

  it('sends only what the gateway can evaluate (never mcp_server_ids) and filters exactly on the client', async () => {
    const g = await gateway();
    const t = tail([g.url, '-o', 'ndjson', '-q', '-t', 'Health*', '-s', 'math,db', '-s', 'math']);
    const conn = await g.waitForAttached(1);
    const subscribe = JSON.parse(conn.received[0]!) as Record<string, unknown>;
    expect(subscribe.event_types).toBeUndefined();
    // The gateway matches mcp_server_ids against mcp_server_id only; tail asks for every server and filters itself.
    expect('mcp_server_ids' in subscribe).toBe(false);
    g.publish(gatewayEvent('ToolInvocationCompleted', { mcp_server_id: 'math', tool_name: 'add', duration_ms: 1 }));
    g.publish(gatewayEvent('HealthCheckFailed', { mcp_server_id: 'db', consecutive_failures: 2, error_message: 'timeout' }));
    g.publish(gatewayEvent('HealthCheckPassed', { mcp_server_id: 'web', duration_ms: 1 }));
    g.publish(gatewayEvent('HealthCheckPassed', { mcp_server_id: 'math', duration_ms: 1 }));
    await t.waitFor('stdout', /HealthCheckPassed/);
    await t.interrupt();
    expect(t.io.stdout.lines().map((l) => (JSON.parse(l) as { event_type: string; mcp_server_id: string }).event_type + '/' + (JSON.parse(l) as { mcp_server_id: string }).mcp_server_id)).toEqual([
      'HealthCheckFailed/db',
      'HealthCheckPassed/math',
    ]);
  });

  it('omits keys rather than sending empty lists, and sends exact names through', async () => {
    const g = await gateway();
    tail([g.url, '-o', 'ndjson', '-q', '-t', 'HealthCheckFailed,McpServerStarted']);
    const conn = await g.waitForAttached(1);
    const subscribe = JSON.parse(conn.received[0]!) as Record<string, unknown>;
    expect(subscribe.event_types).toEqual(['HealthCheckFailed', 'McpServerStarted']);
    expect('mcp_server_ids' in subscribe).toBe(false);
  });

  it('accepts ISO timestamps, events without id or server, and reports bad frames without stopping', async () => {
    const g = await gateway();
    const t = tail([g.url, '-o', 'ndjson', '-q', '--stats']);
    await g.waitForAttached(1);
    g.publishRaw('this is not json');
    g.publishRaw('[1, 2, 3]');
    g.publishRaw('{"hello": "world"}');
    g.publishRaw('{"event_type": ""}');
    g.publishBinary(Buffer.from([1, 2, 3]));
    g.publishRaw('{"type": "mystery"}');
    const iso = gatewayEvent('DiscoveryCycleCompleted', { discovered_count: 1 }, { id: false, timestamp: 'iso' });
    g.publish(iso);
    await t.waitFor('stdout', /DiscoveryCycleCompleted/);
    await t.interrupt();
    expect(t.io.stdout.lines()).toEqual([pythonJson(iso)]);
    const stderr = t.io.stderr.text();
    expect(stderr.match(/ignored a bad frame/g)).toHaveLength(6);
    expect(stderr).toContain('not valid JSON');
    expect(stderr).toContain('binary frame');
    expect(stderr).toMatch(/bad frames: 6/);
  });

  it('reports the first 20 bad frames of a source, then only counts them', async () => {
    const g = await gateway();
    const t = tail([g.url, '-o', 'ndjson', '-q', '--stats']);
    await g.waitForAttached(1);
    for (let i = 0; i < 50; i++) g.publishRaw(`garbage ${i}`);
    g.publish(gatewayEvent('McpServerStarted', { mcp_server_id: 'math' }));
    await t.waitFor('stdout', /McpServerStarted/);
    await t.interrupt();
    const stderr = t.io.stderr.text();
    expect(stderr.match(/ignored a bad frame/g)).toHaveLength(20);
    expect(stderr).toContain('garbage 19 (further bad frames from this source are counted, not shown; see --stats)');
    expect(stderr).not.toContain('garbage 20');
    expect(stderr).toMatch(/bad frames: 50/);
  });

  it('stops after -n events (exit 0) and times out with TimeoutError when the count is not reached', async () => {
    const g = await gateway();
    const t = tail([g.url, '-o', 'ndjson', '-q', '-t', 'McpServerStarted', '-s', 'math', '-n', '1', '--timeout', '30s']);
    await g.waitForAttached(1);
    g.publish(gatewayEvent('McpServerStarted', { mcp_server_id: 'other' }));
    g.publish(gatewayEvent('McpServerStarted', { mcp_server_id: 'math' }));
    await expect(t.done).resolves.toBeUndefined();
    expect(t.io.stdout.lines()).toHaveLength(1);

    // The timeout runs on the injected clock: it falls due when the test says, once connected.
    const waiting = tail([g.url, '-o', 'ndjson', '-q', '-n', '5', '--timeout', '1500ms']);
    await g.waitForAttached(2);
    waiting.io.advance(1499);
    waiting.io.advance(1);
    await expect(waiting.done).rejects.toBeInstanceOf(TimeoutError);
    await expect(waiting.done).rejects.toThrow(/0 of 5 matching events/);
  });

  it('--timeout without --count is a normal stop', async () => {
    const g = await gateway();
    const t = tail([g.url, '-o', 'ndjson', '-q', '--timeout', '1500ms']);
    await g.waitForAttached(1);
    t.io.advance(1500);
    await expect(t.done).resolves.toBeUndefined();
  });

  it('--timeout before any connection is NotConnectedError (exit 3), with or without --count', async () => {
    const port = await closedPort();
    for (const args of [['-n', '1'], []]) {
      const t = tail([`ws://127.0.0.1:${port}/api/ws/events`, '-o', 'ndjson', '-q', '--timeout', '300ms', ...args]);
      const start = t.io.clock.monotonicMs();
      // The refused attempts' backoff and the --timeout both run on the injected clock: step it until the tail ends.
      await t.io.clock.runUntil(t.done.catch(() => undefined));
      expect(t.io.clock.monotonicMs() - start).toBe(300);
      await expect(t.done).rejects.toBeInstanceOf(NotConnectedError);
      await expect(t.done).rejects.toThrow(/timed out after 300ms without connecting to ws:\/\/127\.0\.0\.1:\d+\/api\/ws\/events \((still connecting|last attempt: connection refused.*)\): is the server running and the URL right\?/);
    }
  });

  for (const authFailure of ['http-403', 'http-401', 'close-1008'] as const) {
    it(`fails at once with AuthError on ${authFailure}, mentions the flags, never the key, never retries`, async () => {
      const g = await gateway({ apiKey: 'right-key', authFailure });
      const t = tail([g.url, '-o', 'ndjson', '-k', 'sekrit-wrong-key']);
      const error = await t.done.then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error).toBeInstanceOf(AuthError);
      expect(error!.message).toMatch(/--api-key/);
      expect(error!.message).toMatch(/HANGAR_API_KEY/);
      expect(error!.message).not.toContain('sekrit');
      expect(t.io.stderr.text()).not.toContain('sekrit');
      expect(g.authRefusals).toBe(1);
    });
  }

  it('sends the key as X-API-Key, or as a bearer token, plus extra headers', async () => {
    const g = await gateway({ apiKey: 'k1' });
    const t = tail([g.url, '-o', 'ndjson', '-q', '--bearer', '-H', 'X-Trace: abc'], { env: { HANGAR_API_KEY: 'k1' } });
    const conn = await g.waitForAttached(1);
    expect(conn.headers.authorization).toBe('Bearer k1');
    expect(conn.headers['x-trace']).toBe('abc');
    expect(conn.headers['x-api-key']).toBeUndefined();
    await t.interrupt();
    const dir = mkdtempSync(join(tmpdir(), 'tail-key-'));
    writeFileSync(join(dir, 'key'), 'k1\n');
    tail([g.url, '-o', 'ndjson', '-q', '--api-key-file', join(dir, 'key')]);
    const second = await g.waitForAttached(2);
    expect(second.headers['x-api-key']).toBe('k1');
  });

  it('reconnects after the gateway restarts, re-sends the same filters, and reports the gap', async () => {
    const g = await gateway();
    const t = tail([g.url, '-o', 'ndjson', '-t', 'HealthCheckFailed', '-s', 'math']);
    const first = await g.waitForAttached(1);
    g.publish(gatewayEvent('HealthCheckFailed', { mcp_server_id: 'math' }));
    await t.waitFor('stdout', /HealthCheckFailed/);
    const port = g.port;
    await g.close();
    await t.waitFor('stderr', /reconnecting in/);
    const restarted = await gateway({ port });
    // The backoff runs on the injected clock: step it until the tail is back.
    const second = await t.io.clock.runUntil(restarted.waitForAttached(1));
    expect(JSON.parse(second.received[0]!)).toMatchObject({ type: 'subscribe', event_types: ['HealthCheckFailed'] });
    expect(JSON.parse(first.received[0]!)).toMatchObject({ event_types: ['HealthCheckFailed'] });
    // The live filter (the probe right after the resume request) never narrows to mcp_server_id.
    await restarted.waitUntil(() => second.received.length >= 2, 5_000, 'the probe subscribe');
    expect('mcp_server_ids' in JSON.parse(first.received[0]!)).toBe(false);
    expect(JSON.parse(second.received[1]!)).toEqual({ type: 'subscribe', event_types: ['HealthCheckFailed'] });
    await t.waitFor('stderr', /gap: events from .* may have been missed \(the stream was down for [^)]+\): the server keeps no history/);
    restarted.publish(gatewayEvent('HealthCheckFailed', { mcp_server_id: 'math' }));
    await t.waitFor('stdout', /HealthCheckFailed[^\n]*\n[^\n]*HealthCheckFailed/);
  });

  it('measures each outage on its own (injected clock)', async () => {
    const g = await gateway();
    const t = tail([g.url, '-o', 'ndjson']);
    await g.waitForAttached(1);
    g.disconnectAll(1012);
    await t.waitFor('stderr', /reconnecting in/);
    t.io.advance(3000);
    await g.waitForAttached(2);
    await t.waitFor('stderr', /the stream was down for 3s\)/);
    t.io.advance(60_000);
    g.disconnectAll(1012);
    await t.waitFor('stderr', /reconnecting in[^\n]*\n[\s\S]*reconnecting in/);
    t.io.advance(2000);
    await g.waitForAttached(3);
    await t.waitFor('stderr', /the stream was down for 2s\)/);
    expect(t.io.stderr.text()).not.toMatch(/down for (62|1m)/);
  });

  it('treats a silent server as dead and reconnects (liveness and backoff on a stepped clock)', async () => {
    const timers = new FakeClock();
    const g = await gateway({ pingIntervalMs: 3_600_000 });
    // Dead after 400 ms of silence, checked every 100 ms; the backoff is 20 ms.
    const client = { pingIntervalMs: 200, livenessMarginMs: 200, backoff: { initialDelayMs: 20, maxDelayMs: 50, factor: 2, jitter: 0 }, standStillMs: false as const, clock: timers };
    const t = tail([g.url, '-o', 'ndjson'], {}, { client });
    await g.waitForAttached(1);
    const publishAndSee = async (n: number) => {
      g.publish(gatewayEvent('HealthCheckPassed', { mcp_server_id: 'math', duration_ms: n }));
      await t.waitFor('stdout', new RegExp(`"duration_ms": ${n}\\}`));
    };
    await publishAndSee(0);
    // Three quarters of the limit in silence after the last frame: the connection lives (the next event arrives on it).
    timers.advance(100); // the first check sees the ack and the event
    timers.advance(300);
    await publishAndSee(1);
    // The next check sees that event; a whole limit of silence after it: dead, and a reconnect is scheduled.
    timers.advance(100);
    timers.advance(400);
    await t.waitFor('stderr', /no message or ping from the server for 400ms[\s\S]*reconnecting in 20ms/);
    expect(g.connections).toHaveLength(1);
    timers.advance(20);
    await g.waitForAttached(2);
  });

  it('keeps a busy connection that never pings: every frame counts as a sign of life (stepped clock)', async () => {
    const timers = new FakeClock();
    const g = await gateway({ pingIntervalMs: 3_600_000 });
    // Dead after 1 s of silence, checked every 250 ms; events come every 250 ms for fifteen times that long.
    const t = tail([g.url, '-o', 'ndjson'], {}, { client: { pingIntervalMs: 500, livenessMarginMs: 500, standStillMs: false, clock: timers } });
    await g.waitForAttached(1);
    const sent = 60;
    for (let i = 0; i < sent; i++) {
      g.publish(gatewayEvent('HealthCheckPassed', { mcp_server_id: 'math', duration_ms: i }));
      await t.waitFor('stdout', new RegExp(`"duration_ms": ${i}\\}`));
      timers.advance(250);
    }
    expect(t.io.stdout.lines()).toHaveLength(sent);
    expect(t.io.stderr.text()).not.toMatch(/no message or ping/);
    expect(g.connections).toHaveLength(1);
    // The same connection, silent for the limit, is dead.
    timers.advance(1000);
    await t.waitFor('stderr', /no message or ping from the server for 1s/);
  });

  it('gives up after --max-retries with a ConnectionError', async () => {
    const g = await gateway();
    const port = g.port;
    await g.close();
    const t = tail([`127.0.0.1:${port}`, '-o', 'ndjson', '--max-retries', '2']);
    await t.io.clock.runUntil(t.done.catch(() => undefined));
    await expect(t.done).rejects.toBeInstanceOf(ConnectionError);
    await expect(t.done).rejects.toThrow(/connection refused.*gave up after 2 retries/);
    expect(t.io.stderr.text().match(/reconnecting in/g)).toHaveLength(2);
  });

  it('--no-reconnect ends with a ConnectionError when the gateway goes away', async () => {
    const g = await gateway();
    const t = tail([g.url, '-o', 'ndjson', '-q', '--no-reconnect']);
    await g.waitForAttached(1);
    g.disconnectAll(1001);
    await expect(t.done).rejects.toThrow(/lost the connection .*code 1001.*--no-reconnect/);
  });

  it('merges several gateways, labels lines by source and shows a replicated event once', async () => {
    const a = await gateway();
    const b = await gateway();
    const t = tail([a.url, b.url, '-o', 'pretty', '--color', 'never', '-q', '--time', 'none']);
    await a.waitForAttached(1);
    await b.waitForAttached(1);
    const shared = gatewayEvent('McpServerStateChanged', { mcp_server_id: 'math', old_state: 'ready', new_state: 'degraded' });
    a.publish(shared);
    b.publish(shared);
    b.publish(gatewayEvent('McpServerStopped', { mcp_server_id: 'db', reason: 'idle' }));
    await t.waitFor('stdout', /McpServerStopped/);
    await t.interrupt();
    const lines = t.io.stdout.lines();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('McpServerStateChanged');
    expect(lines[0]).toContain(`127.0.0.1:${a.port}`);
    expect(lines[1]).toContain(`127.0.0.1:${b.port}`);
  });

  it('says that a gateway keeps no history, and --no-follow fails there', async () => {
    const g = await gateway();
    const t = tail([g.url, '-o', 'ndjson', '--history', '10']);
    await t.waitFor('stderr', /keeps no history/);
    const noFollow = tail([g.url, '-o', 'ndjson', '--since', '5m', '--no-follow']);
    await expect(noFollow.done).rejects.toBeInstanceOf(RuntimeError);
    await expect(noFollow.done).rejects.toThrow(/keeps no history: --no-follow has nothing to print/);
  });

  it('--record appends every shown event as received', async () => {
    const g = await gateway();
    const dir = mkdtempSync(join(tmpdir(), 'tail-record-'));
    const file = join(dir, 'rec.ndjson');
    writeFileSync(file, '{"event_type": "Old"}\n');
    const t = tail([g.url, '-o', 'pretty', '--color', 'never', '-q', '--record', file, '-x', 'HealthCheckPassed', '-n', '2']);
    await g.waitForAttached(1);
    const events = [
      gatewayEvent('HealthCheckPassed', { mcp_server_id: 'a' }),
      gatewayEvent('ToolInvocationFailed', { mcp_server_id: 'a', error_message: 'boom' }),
      gatewayEvent('McpServerStopped', { mcp_server_id: 'a' }),
    ];
    for (const e of events) g.publish(e);
    await t.done;
    expect(readFileSync(file, 'utf8')).toBe(`{"event_type": "Old"}\n${pythonJson(events[1])}\n${pythonJson(events[2])}\n`);
  });

  describe('pretty output', () => {
    const failed = {
      event_type: 'HealthCheckFailed',
      event_id: 'hc-1',
      occurred_at: 1795727378.4531293,
      mcp_server_id: 'math',
      consecutive_failures: 3,
      error_message: 'timeout\u001b[31m\u0007',
    };

    it('on a terminal: colored by severity, control characters stripped; status on stderr', async () => {
      const g = await gateway();
      const t = tail([g.url, '--time', 'utc'], { stdoutTTY: true });
      await g.waitForAttached(1);
      g.publish(failed);
      await t.waitFor('stdout', /HealthCheckFailed/);
      await t.interrupt();
      expect(t.io.stdout.text()).toBe(
        '\u001b[2m21:09:38.453Z\u001b[22m \u001b[31mHealthCheckFailed\u001b[39m \u001b[1mmath\u001b[22m \u001b[31mtimeout\u001b[39m 3 consecutive failures\n',
      );
      expect(t.io.stderr.text()).toBe(`hangar-events: connecting to ${g.url}\nhangar-events: connected to ${g.url}\n`);
    });

    it('without color: --no-color, NO_COLOR, or a pipe with -o pretty', async () => {
      const g = await gateway();
      const plain = '21:09:38.453Z HealthCheckFailed math timeout 3 consecutive failures\n';
      const runs = [
        tail([g.url, '--time', 'utc', '--no-color', '-q'], { stdoutTTY: true }),
        tail([g.url, '--time', 'utc', '-q'], { stdoutTTY: true, env: { NO_COLOR: '1' } }),
        tail([g.url, '--time', 'utc', '-q', '-o', 'pretty'], { stdoutTTY: false }),
      ];
      await g.waitForAttached(3);
      g.publish(failed);
      for (const t of runs) {
        await t.waitFor('stdout', /HealthCheckFailed/);
        await t.interrupt();
        expect(t.io.stdout.text()).toBe(plain);
        expect(t.io.stderr.text()).toBe('');
      }
    });

    it('ndjson is never colored, even with --color always', async () => {
      const g = await gateway();
      const t = tail([g.url, '-o', 'ndjson', '--color', 'always', '-q'], { stdoutTTY: true });
      await g.waitForAttached(1);
      g.publish(failed);
      await t.waitFor('stdout', /HealthCheckFailed/);
      await t.interrupt();
      expect(t.io.stdout.text()).toBe(`${pythonJson(failed)}\n`);
    });

    it('an unknown type gets a did-you-mean on stderr and the tail still runs', async () => {
      const g = await gateway();
      const t = tail([g.url, '-o', 'ndjson', '-q', '-t', 'healthcheckfailed,HealthCheck*']);
      await g.waitForAttached(1);
      g.publish(failed);
      await t.waitFor('stdout', /HealthCheckFailed/);
      expect(t.io.stderr.text()).toBe(
        "hangar-events: unknown event type 'healthcheckfailed' (did you mean HealthCheckFailed?); tailing anyway (see hangar-events types)\n",
      );
    });

    it('--fields, --format and --time none shape the line', async () => {
      const g = await gateway();
      const fields = tail([g.url, '-o', 'pretty', '--no-color', '-q', '--time', 'none', '--fields', 'consecutive_failures,missing']);
      const format = tail([g.url, '-o', 'pretty', '--no-color', '-q', '--format', '{mcp_server_id}: {error_message}']);
      await g.waitForAttached(2);
      g.publish(failed);
      await fields.waitFor('stdout', /\n/);
      await format.waitFor('stdout', /\n/);
      expect(fields.io.stdout.text()).toBe('HealthCheckFailed math consecutive_failures=3 missing=-\n');
      expect(format.io.stdout.text()).toBe('math: timeout\n');
    });
  });
});

describe('NDJSON output and --record are the frames as received', () => {
  it('keeps U+2028/U+2029 and every other byte of a frame, on stdout and in the recording', async () => {
    const g = await gateway({ blindWindowMs: 60_000 });
    const dir = mkdtempSync(join(tmpdir(), 'tail-exact-'));
    const file = join(dir, 'rec.ndjson');
    const t = tail([g.url, '-o', 'ndjson', '-q', '--record', file, '-n', '2']);
    await g.waitForAttached(1);
    // Compact JSON with raw U+2028/U+2029 and non-ASCII inside strings, as a server may send it.
    const first = '{"event_type":"ToolInvocationFailed","event_id":"e1","error_message":"line\u2028sep\u2029para","tool":"café"}';
    const second = '{"event_type": "HealthCheckPassed", "event_id": "e2", "mcp_server_id": "math"}';
    g.publishRaw(first);
    g.publishRaw(second);
    await t.done;
    expect(t.io.stdout.text()).toBe(`${first}\n${second}\n`);
    expect(readFileSync(file, 'utf8')).toBe(`${first}\n${second}\n`);
  });
});
