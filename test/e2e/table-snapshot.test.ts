import { afterEach, describe, expect, test } from 'vitest';
import { killAll, startCli } from '../helpers/spawn.js';

/** `tail -o table` when stdout is not a terminal: plain snapshots, no animation. */

const SERVERS = ['math', 'fetch', 'github', 'filesystem', 'postgres'];

afterEach(async () => {
  await killAll();
});

function snapshots(stdout: string): string[] {
  return stdout.split('\n\n').filter((s) => s.startsWith('hangar-events'));
}

describe('tail -o table in a pipe', () => {
  test('prints a plain snapshot every --interval and a last one at exit', async () => {
    const serve = startCli(['serve', '--port', '0', '--seed', '1', '--rate', '50']);
    const url = (await serve.waitFor('stderr', /listening on (ws:\/\/\S+)/, 15_000))[1]!;
    const tail = startCli(['tail', '-o', 'table', '--interval', '300ms', url]);
    // Wait (bounded) for a snapshot that has every server, checking after each chunk of output.
    const complete = () => snapshots(tail.stdout()).some((s) => SERVERS.every((name) => s.includes(`\n${name} `)));
    const deadline = Date.now() + 20_000;
    while (!complete()) {
      if (Date.now() > deadline) throw new Error(`no snapshot with every server; stdout:\n${tail.stdout()}\nstderr:\n${tail.stderr()}`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 1000);
        tail.child.stdout!.once('data', () => {
          clearTimeout(timer);
          setImmediate(resolve);
        });
      });
    }
    const before = snapshots(tail.stdout()).length;
    expect(before).toBeGreaterThanOrEqual(1);
    tail.child.kill('SIGINT');
    const exit = await tail.exited;
    expect(exit.code).toBe(0);
    const all = snapshots(tail.stdout());
    expect(all.length).toBeGreaterThan(before);
    const last = all.at(-1)!;
    const lines = last.split('\n');
    expect(lines[0]).toMatch(/^hangar-events {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {2}ws:\/\/127\.0\.0\.1:\d+\/api\/ws\/events connected {2}all events$/);
    expect(lines[1]).toMatch(/^\d+ events {2}\d+\.\d\/s {2}last \d+s ago {2}5 servers {2}sort: problems first$/);
    expect(lines[2]).toMatch(/^SERVER +STATE +BREAKER +HEALTH +OK +FAIL +ERR% +P50 +P95 +TOOLS +LAST EVENT +AGO$/);
    for (const name of SERVERS) expect(last).toMatch(new RegExp(`\\n${name} +\\S+ +\\S+ +(ok|fail x\\d+|-) +\\d+ +\\d+ `));
    // No animation, no color, no cursor movement in a pipe.
    expect(tail.stdout()).not.toContain('\x1b');
  });
});
