import { afterEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../src/errors.js';
import { DEFAULT_SERVER_OPTIONS, startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { startRealClockTail, type InProcessTail } from '../helpers/run-tail.js';
import { createRealClockIO, type RealClockTestIO } from '../helpers/test-io.js';

const servers: RunningServer[] = [];
const tails: InProcessTail<RealClockTestIO>[] = [];
const timers: NodeJS.Timeout[] = [];

/** serve in this process, on the real clock: its keep-alive and chaos disconnects run by themselves against real sockets. */
async function serve(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const server = await startServer({ ...DEFAULT_SERVER_OPTIONS, port: 0, ...options }, createRealClockIO());
  servers.push(server);
  return server;
}

/** tail in this process on the real clock too: its reconnects follow serve's real disconnects and restarts. */
function tail(...args: Parameters<typeof startRealClockTail>): InProcessTail<RealClockTestIO> {
  const t = startRealClockTail(...args);
  tails.push(t);
  return t;
}

afterEach(async () => {
  for (const timer of timers.splice(0)) clearInterval(timer);
  for (const t of tails.splice(0)) {
    t.io.emitSignal('SIGINT');
    await t.done.catch(() => {});
  }
  for (const s of servers.splice(0)) await s.close();
});

function seqOf(lines: string[]): number[] {
  return lines.map((l) => (JSON.parse(l) as { seq: number }).seq);
}

describe('tail against hangar-events serve', () => {
  it('recognises serve, prints --history first and exits after it with --no-follow', async () => {
    const server = await serve();
    for (let seq = 1; seq <= 10; seq++) server.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: seq % 2 ? 'math' : 'db', seq });
    const t = tail([server.url, '-o', 'ndjson', '--history', '3', '--no-follow', '-s', 'math']);
    await t.done;
    expect(seqOf(t.io.stdout.lines())).toEqual([5, 7, 9]);
    expect(t.io.stderr.text()).toMatch(/3 matching events replayed from the 10 events the server keeps/);
    expect(t.io.stderr.text()).not.toMatch(/gap|keeps no history/);
  });

  it('--since asks for recent events; history then live events, in order', async () => {
    const server = await serve();
    server.hub.publish({ event_type: 'McpServerStarted', mcp_server_id: 'math', seq: 1 });
    const t = tail([server.url, '-o', 'ndjson', '--since', '10m']);
    await t.waitFor('stdout', /"seq":1/);
    server.hub.publish({ event_type: 'McpServerStopped', mcp_server_id: 'math', seq: 2 });
    await t.waitFor('stdout', /"seq":2/);
    await t.interrupt();
    expect(seqOf(t.io.stdout.lines())).toEqual([1, 2]);
    expect(t.io.stderr.text()).toMatch(/connected to .*\n.*1 event replayed/);
  });

  it('resumes with replay.after across disconnects: every event exactly once, no gap reported', async () => {
    const server = await serve({ chaosDisconnectMs: 150 });
    const t = tail([server.url, '-o', 'ndjson', '--stats']);
    await t.waitFor('stderr', /connected to/);
    let seq = 0;
    const total = 150;
    timers.push(
      setInterval(() => {
        if (seq < total) server.hub.publish({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', seq: ++seq });
      }, 5),
    );
    await t.waitFor('stdout', new RegExp(`"seq":${total}\\b`), 30_000);
    await t.interrupt();
    const stderr = t.io.stderr.text();
    const reconnects = Number(/reconnects: (\d+)/.exec(stderr)![1]);
    expect(reconnects).toBeGreaterThan(0);
    expect(seqOf(t.io.stdout.lines())).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(stderr).not.toMatch(/gap:/);
    expect(stderr).toMatch(/gaps: 0/);
  });

  it('reports a gap with its duration when serve restarted (a new instance), and shows what the new run kept', async () => {
    const first = await serve();
    const port = first.port;
    const t = tail([first.url, '-o', 'ndjson']);
    await t.waitFor('stderr', /connected to/);
    first.hub.publish({ event_type: 'McpServerStarted', mcp_server_id: 'math', seq: 1 });
    await t.waitFor('stdout', /"seq":1/);
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    await t.waitFor('stderr', /reconnecting in/);
    const second = await serve({ port });
    second.hub.publish({ event_type: 'McpServerStarted', mcp_server_id: 'math', seq: 2 });
    await t.waitFor('stderr', /gap: events from .* may have been missed \(the stream was down for [^)]+\): the server restarted/);
    second.hub.publish({ event_type: 'McpServerStarted', mcp_server_id: 'math', seq: 3 });
    await t.waitFor('stdout', /"seq":3/);
    // Everything the new run published is new to this client: its history is replayed whole.
    expect(seqOf(t.io.stdout.lines())).toEqual([1, 2, 3]);
  });

  it('prints drop warnings with their numbers, and the accounting adds up', async () => {
    const server = await serve({ chaosDrop: 0.3, random: mulberry(7) });
    const t = tail([server.url, '-o', 'ndjson', '--stats', '--color', 'never']);
    await t.waitFor('stderr', /connected to/);
    const total = 200;
    for (let seq = 1; seq <= total; seq++) server.hub.publish({ event_type: 'HealthCheckPassed', mcp_server_id: 'math', seq });
    const lastSeq = () => Math.max(0, ...seqOf(t.io.stdout.lines()));
    const droppedSoFar = () => [...t.io.stderr.text().matchAll(/the server dropped (\d+) event/g)].reduce((n, m) => n + Number(m[1]), 0);
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (t.io.stdout.lines().length + droppedSoFar() >= total) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
      setTimeout(() => {
        clearInterval(timer);
        reject(new Error(`accounting never reached ${total}: ${t.io.stdout.lines().length} shown, ${droppedSoFar()} dropped, last ${lastSeq()}`));
      }, 15_000);
    });
    await t.interrupt();
    const stderr = t.io.stderr.text();
    expect(stderr).toMatch(/ DROPPED .*the server dropped \d+ events? \(\d+ in total on this connection\)/);
    const shown = t.io.stdout.lines().length;
    expect(shown + droppedSoFar()).toBe(total);
    expect(droppedSoFar()).toBeGreaterThan(0);
    expect(stderr).toContain(`dropped by the server: ${droppedSoFar()}`);
  });

  it('serve with an API key: refused without it (exit 4 path), accepted with HANGAR_API_KEY', async () => {
    const server = await serve({ apiKeys: ['k-123'] });
    const refused = tail([server.url, '-o', 'ndjson']);
    await expect(refused.done).rejects.toBeInstanceOf(AuthError);
    const ok = tail([server.url, '-o', 'ndjson', '-n', '1'], { env: { HANGAR_API_KEY: 'k-123' } });
    await ok.waitFor('stderr', /connected to/);
    server.hub.publish({ event_type: 'McpServerStarted', mcp_server_id: 'math' });
    await ok.done;
    expect(ok.io.stdout.lines()).toHaveLength(1);
  });
});

/** A small seeded PRNG so chaos is reproducible. */
function mulberry(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
