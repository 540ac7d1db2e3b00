import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/hostile-net.js';
import { killAll, startCli, type RunningCli } from '../helpers/spawn.js';

/**
 * Issue 12, case 3, as a user meets it: `serve --seed 42`, tail it, kill -9
 * serve, start the very same command again. Seeded ids used to repeat across
 * runs, so tail resumed "after" an id it found in the new run, said
 * "N events replayed" and hid the outage. Now every run has its own ids and
 * its own instance_id, and tail reports the restart as a gap.
 */

afterEach(async () => {
  await killAll();
});

async function serve(port: number): Promise<{ cli: RunningCli; port: number }> {
  const cli = startCli(['serve', '--host', '127.0.0.1', '--port', String(port), '--seed', '42', '--rate', '50']);
  const match = await cli.waitFor('stderr', /listening on ws:\/\/127\.0\.0\.1:(\d+)\/api\/ws\/events/, 20_000);
  return { cli, port: Number(match[1]) };
}

function ids(cli: RunningCli): string[] {
  return cli
    .stdout()
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => (JSON.parse(l) as { event_id: string }).event_id);
}

describe('serve restarted with the same --seed', () => {
  it('tail reports the restart as a gap, and no event id of the first run comes back', async () => {
    const first = await serve(0);
    const tail = startCli(['tail', `ws://127.0.0.1:${first.port}/api/ws/events`, '-o', 'ndjson']);
    await eventually(() => ids(tail).length >= 30, 'events of the first run', 30_000);
    first.cli.child.kill('SIGKILL');
    await first.cli.exited;
    await tail.waitFor('stderr', /reconnecting in/, 30_000);
    const before = new Set(ids(tail));
    await serve(first.port);
    const gap = await tail.waitFor('stderr', /gap: events from .* may have been missed \(the stream was down for [^)]+\): the server restarted/, 60_000);
    expect(gap[0]).toMatch(/\d/);
    await eventually(() => ids(tail).length >= before.size + 30, 'events of the second run', 60_000);
    const after = ids(tail).slice(before.size);
    // Same seed, same fleet, but not the same ids: nothing of the new run can be taken for the old one.
    expect(after.filter((id) => before.has(id))).toEqual([]);
    expect(new Set(ids(tail)).size).toBe(ids(tail).length);
  }, 150_000);
});
