import { describe, expect, it } from 'vitest';
import { AuthError } from '../../src/errors.js';
import { canDrawLive } from '../../src/io/terminal-size.js';
import { HIDE_CURSOR, SHOW_CURSOR, SYNC_START } from '../../src/io/live-region.js';
import { gatewayEvent } from '../helpers/fake-gateway.js';
import { useGatewayTails } from '../helpers/run-tail.js';
import { createTestIO } from '../helpers/test-io.js';

/** `tail -o table` in-process against a gateway-like server on a real socket, with a fake terminal. */

const { gateway, tail } = useGatewayTails();

const terminal = { stdoutTTY: true, stdinTTY: true, stderrTTY: true, columns: 120, rows: 20, env: { TERM: 'xterm', NO_COLOR: '1' } };

describe('tail -o table', () => {
  it('on a terminal: rows from the events, nothing on stderr, q ends the tail and restores the terminal', async () => {
    const g = await gateway();
    const t = tail([g.url, '-o', 'table'], terminal);
    await g.waitForAttached(1);
    // Raw mode is on by now (the keys line is drawn); record what happens at the end.
    await t.waitForFrame(/q quit {2}s sort/);
    const modes: boolean[] = [];
    (t.io.stdin as unknown as { setRawMode: (m: boolean) => void }).setRawMode = (m) => modes.push(m);
    g.publish(gatewayEvent('McpServerStarted', { mcp_server_id: 'math', tools_count: 4 }));
    g.publish(gatewayEvent('ToolInvocationFailed', { mcp_server_id: 'math', duration_ms: 12 }));
    g.publish(gatewayEvent('DiscoveryCycleCompleted', { discovered_count: 0 }));
    await t.waitForFrame(/math +ready +- +- +0 +1 +100% +12ms +12ms +4 +ToolInvocationFailed/);
    await t.waitForFrame(/connected {2}all events/);
    await t.waitForFrame(/no server: DiscoveryCycleCompleted 1/);
    expect(t.io.stdout.chunks[0]).toBe(HIDE_CURSOR);
    t.io.stdin.write('q');
    await t.done;
    expect(modes).toEqual([false]);
    expect(t.io.stdin.listenerCount('data')).toBe(0);
    expect(t.io.stdout.chunks.at(-1)).toBe(`\n${SHOW_CURSOR}`);
    // The table owns the terminal: no spinner, no status lines to tear it.
    expect(t.io.stderr.text()).toBe('');
  });

  it('Ctrl-C (SIGINT) ends it with the terminal restored', async () => {
    const g = await gateway();
    const t = tail([g.url, '-o', 'table', '--sort', 'server'], { ...terminal, stdinTTY: false });
    await g.waitForAttached(1);
    g.publish(gatewayEvent('HealthCheckFailed', { mcp_server_id: 'db', consecutive_failures: 2 }));
    await t.waitForFrame(/db +- +- +fail x2/);
    expect(t.io.stdout.text()).toContain('sort: server');
    await t.interrupt();
    expect(t.io.stdout.chunks.at(-1)).toBe(`\n${SHOW_CURSOR}`);
  });

  it('an authentication failure ends it with the terminal restored and the state in the last frame', async () => {
    const g = await gateway({ apiKey: 'right' });
    const t = tail([g.url, '-o', 'table', '-k', 'wrong'], terminal);
    await expect(t.done).rejects.toBeInstanceOf(AuthError);
    const frames = t.io.stdout.chunks.filter((c) => c.startsWith(SYNC_START));
    expect(frames.at(-1)).toContain('auth failed');
    expect(t.io.stdout.chunks.at(-1)).toBe(`\n${SHOW_CURSOR}`);
  });

  it('in a pipe: one plain snapshot at exit (here after -n 1), status on stderr as in the other modes', async () => {
    const g = await gateway();
    const t = tail([g.url, '-o', 'table', '--interval', '1h', '-n', '1']);
    await g.waitForAttached(1);
    await t.waitFor('stderr', /connected to/);
    // Nothing until the interval or the end.
    expect(t.io.stdout.text()).toBe('');
    g.publish(gatewayEvent('McpServerStateChanged', { mcp_server_id: 'fetch', old_state: 'ready', new_state: 'degraded' }));
    await t.done;
    const text = t.io.stdout.text();
    expect(text).not.toContain('\x1b');
    expect(text.split('\n\n').filter((s) => s.length > 0)).toHaveLength(1);
    expect(text).toMatch(/^hangar-events {2}2026-11-26T12:00:00\.000Z {2}ws:\/\/127\.0\.0\.1:\d+\/api\/ws\/events connected {2}all events\n/);
    expect(text).toMatch(/\nfetch +degraded +- +- +0 +0 +- +- +- +- +McpServerStateChanged +0s\n/);
  });

  it('a terminal that cannot move the cursor (TERM=dumb) gets plain snapshots', () => {
    expect(canDrawLive(createTestIO({ stdoutTTY: true, env: { TERM: 'xterm-256color' } }))).toBe(true);
    expect(canDrawLive(createTestIO({ stdoutTTY: true, env: { TERM: 'dumb' } }))).toBe(false);
    expect(canDrawLive(createTestIO({ stdoutTTY: false, env: { TERM: 'xterm' } }))).toBe(false);
  });
});
