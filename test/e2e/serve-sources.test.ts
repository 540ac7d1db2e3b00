import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { killAll, runCli, startCli } from '../helpers/spawn.js';

afterEach(killAll);

type Frame = Record<string, unknown>;

/** Connects, subscribes with a replay of everything kept, and resolves with frames once `done` holds. */
function collect(url: string, done: (frames: Frame[]) => boolean, subscribe: Frame = { type: 'subscribe', replay: { last: 10000 } }): Promise<Frame[]> {
  return new Promise((resolve, reject) => {
    const frames: Frame[] = [];
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`timed out; ${frames.length} frames: ${JSON.stringify(frames.slice(-3)).slice(0, 500)}`));
    }, 15_000);
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify(subscribe)));
    ws.on('message', (data) => {
      frames.push(JSON.parse(data.toString()) as Frame);
      if (done(frames)) {
        clearTimeout(timer);
        ws.close();
        resolve(frames);
      }
    });
  });
}

const listening = /listening on (ws:\/\/127\.0\.0\.1:\d+\/api\/ws\/events)/;

describe('serve sources (spawned binary)', () => {
  it('--stdin publishes piped NDJSON, reports bad lines by number, and keeps serving after the input ends', async () => {
    const cli = startCli(['serve', '--port', '0', '--stdin']);
    const url = (await cli.waitFor('stderr', listening))[1]!;
    cli.child.stdin!.end(['{"event_type":"McpServerStarted","mcp_server_id":"math"}', 'not json', '{"event_type":"HealthCheckPassed","mcp_server_id":"math","duration_ms":3}', ''].join('\n'));
    await cli.waitFor('stderr', /stdin ended: 2 events published, 1 bad line; still serving/);
    expect(cli.stderr()).toMatch(/stdin line 2: /);
    const frames = await collect(url, (f) => f.some((x) => x.type === 'replayed'));
    expect(frames.filter((f) => 'event_type' in f).map((f) => f.event_type)).toEqual(['McpServerStarted', 'HealthCheckPassed']);
    expect(frames.find((f) => f.type === 'replayed')).toEqual({ type: 'replayed', count: 2, complete: true });
    expect(cli.child.exitCode).toBeNull();
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
  });

  it('--replay plays a recording at --speed max and says when it ended', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serve-replay-'));
    const file = join(dir, 'recorded.ndjson');
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', n: i, occurred_at: 1795727378 + i / 10 }));
    writeFileSync(file, `${lines.join('\n')}\n`);
    const cli = startCli(['serve', '--port', '0', '--replay', file, '--speed', 'max']);
    const url = (await cli.waitFor('stderr', listening))[1]!;
    await cli.waitFor('stderr', /ended: 30 events published, 0 bad lines; still serving/);
    const frames = await collect(url, (f) => f.some((x) => x.type === 'replayed'));
    expect(frames.filter((f) => 'event_type' in f).map((f) => f.n)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('--replay of a missing file fails before listening', async () => {
    const result = await runCli(['serve', '--port', '0', '--replay', '/nonexistent/recorded.ndjson']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).not.toMatch(/listening on/);
    expect(result.stderr).toMatch(/recorded\.ndjson/);
  });

  it('the demo is reproducible with --seed', async () => {
    const firstEvents = async () => {
      const cli = startCli(['serve', '--port', '0', '--seed', '7', '--rate', '200', '--servers', '3']);
      const url = (await cli.waitFor('stderr', listening))[1]!;
      const afterAck = (frames: Frame[]) => frames.slice(frames.findIndex((f) => f.type === 'subscribed') + 1);
      // Events before the ack arrived live (the connection gets events from the moment it opens); the replay that follows starts at the beginning.
      const frames = afterAck(await collect(url, (f) => f.some((x) => x.type === 'subscribed') && afterAck(f).filter((x) => 'event_type' in x).length >= 40));
      cli.child.kill('SIGTERM');
      await cli.exited;
      // Identity fields stamped at publish time (ids, wall-clock times, and the times inside approval
      // and idle events, which follow the wall clock too) may differ; the fleet's story may not.
      return frames
        .filter((f) => 'event_type' in f)
        .slice(0, 40)
        .map(({ event_id: _id, approval_id: _ap, occurred_at: _at, timestamp: _ts, expires_at: _ex, decided_at: _de, expired_at: _ed, last_used_at: _lu, ...rest }) => rest);
    };
    const a = await firstEvents();
    const b = await firstEvents();
    expect(a.length).toBe(40);
    expect(new Set(a.map((e) => e.mcp_server_id)).size).toBeGreaterThan(1);
    expect(b).toEqual(a);
  });
});
