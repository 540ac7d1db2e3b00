import { afterEach, describe, expect, it } from 'vitest';
import { killAll, runCli, startCli } from '../helpers/spawn.js';

afterEach(killAll);

describe('hangar-events demo (piped, not a terminal)', () => {
  it('serves a simulated fleet, shows pretty lines, tells how to tail it from elsewhere, and ends 0 on Ctrl-C', async () => {
    const demo = startCli(['demo', '--seed', '7', '--rate', '40'], { stdin: 'ignore' });
    const [, url] = await demo.waitFor('stderr', /from a second terminal: hangar-events tail (ws:\/\/127\.0\.0\.1:\d+\/api\/ws\/events)/, 20_000);
    // Pretty lines (not NDJSON) even though stdout is a pipe: three of them.
    await demo.waitFor('stdout', /^(?:.*\n){3}/, 30_000);
    const lines = demo.stdout().split('\n').filter((line) => line.length > 0);
    for (const line of lines.slice(0, 3)) {
      expect(line.startsWith('{')).toBe(false);
      expect(line).toMatch(/(McpServer|HealthCheck|ToolInvocation|CircuitBreaker|Discovery)\w*/);
    }
    // The hint is true: a second tail reaches the same server.
    const second = await runCli(['tail', url!, '-n', '2', '--timeout', '30s'], { timeoutMs: 40_000 });
    expect(second.code).toBe(0);
    const events = second.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event_type: string });
    expect(events).toHaveLength(2);
    for (const event of events) expect(typeof event.event_type).toBe('string');

    demo.child.kill('SIGINT');
    expect(await demo.exited).toEqual({ code: 0, signal: null });
    expect(demo.stderr()).not.toMatch(/Error|at .*\.js:\d+/);
  }, 90_000);

  it('refuses a bad flag value before starting anything', async () => {
    const result = await runCli(['demo', '--rate', 'fast']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--rate');
    expect(result.stdout).toBe('');
  });
});
