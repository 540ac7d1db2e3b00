import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, e2eEnv, killAll, runCli, startCli } from '../helpers/spawn.js';
import { requireProgram } from '../helpers/require-program.js';
import { pollFor } from '../helpers/eventually.js';

const exec = promisify(execFile);

/** A private tmux server (its own socket) for the terminal test; removed in afterEach. */
let tmux: { socket: string; dir: string } | undefined;

function tmuxEnv(): NodeJS.ProcessEnv {
  const env = e2eEnv();
  delete env.TMUX;
  delete env.TERM;
  return env;
}

async function tmuxCmd(...args: string[]): Promise<string> {
  const { stdout } = await exec('tmux', ['-L', tmux!.socket, '-f', join(tmux!.dir, 'tmux.conf'), ...args], { env: tmuxEnv() });
  return stdout;
}

/** Polls the pane until `predicate` holds. */
function waitForPane(predicate: (screen: string) => boolean, what: string, timeoutMs = 30_000): Promise<string> {
  return pollFor(() => tmuxCmd('capture-pane', '-p', '-t', 'demo'), predicate, { what, timeoutMs, everyMs: 100, show: (screen) => screen });
}

afterEach(async () => {
  if (tmux) {
    await exec('tmux', ['-L', tmux.socket, 'kill-server'], { env: tmuxEnv() }).catch(() => {});
    rmSync(tmux.dir, { recursive: true, force: true });
    tmux = undefined;
  }
  await killAll();
});

describe('hangar-events demo (piped, not a terminal)', () => {
  it('prints its seed (chosen when not given) and, run through npx, a second-terminal command that works there', async () => {
    const seeded = startCli(['demo', '--seed', '7', '--rate', '40'], { stdin: 'ignore' });
    await seeded.waitFor('stderr', /^hangar-events: demo: a simulated fleet of 5 MCP servers on ws:\S+, seed 7 \(--seed 7 plays it again\)$/m, 20_000);
    const viaNpx = startCli(['demo', '--rate', '40'], { stdin: 'ignore', env: { npm_command: 'exec' } });
    const [, seed] = await viaNpx.waitFor('stderr', /, seed (\d+) \(--seed \1 plays it again\)$/m, 20_000);
    expect(Number(seed)).toBeGreaterThanOrEqual(0);
    await viaNpx.waitFor('stderr', /^hangar-events: demo: from a second terminal: npx hangar-events tail ws:\/\/127\.0\.0\.1:\d+\/api\/ws\/events$/m, 20_000);
  }, 60_000);

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

requireProgram('tmux').describe('hangar-events demo in a terminal (tmux)', () => {
  it('shows the live table of the simulated fleet under the hint, and Ctrl-C ends it with exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-demo-'));
    tmux = { socket: `hangar-demo-${process.pid}-${Date.now()}`, dir };
    writeFileSync(join(dir, 'tmux.conf'), 'set -g status off\n');
    const script = `env NO_COLOR=1 TZ=UTC '${process.execPath}' '${BIN}' demo --seed 1 --rate 40; echo "exit=$?"; exec sleep 600`;
    await tmuxCmd('new-session', '-d', '-s', 'demo', '-x', '120', '-y', '30', script);
    const servers = ['math', 'fetch', 'github', 'filesystem', 'postgres'];
    const screen = await waitForPane((s) => servers.every((name) => new RegExp(`^${name} `, 'm').test(s)), 'a table row for every simulated server');
    expect(screen).toMatch(/^hangar-events: demo: from a second terminal: hangar-events tail ws:\/\/127\.0\.0\.1:\d+\/api\/ws\/events$/m);
    expect(screen).toMatch(/^SERVER +STATE +BREAKER +HEALTH /m);
    await tmuxCmd('send-keys', '-t', 'demo', 'C-c');
    await waitForPane((s) => /^exit=\d+$/m.test(s), 'the demo to exit');
    expect(await tmuxCmd('capture-pane', '-p', '-t', 'demo')).toMatch(/^exit=0$/m);
  }, 90_000);
});
