import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import { FakeGateway, gatewayEvent, startFakeGateway } from '../helpers/fake-gateway.js';
import { BIN, e2eEnv } from '../helpers/spawn.js';
import { requireProgram } from '../helpers/require-program.js';
import { pollFor } from '../helpers/eventually.js';

/** `tail` in a real terminal (tmux): the ora spinner while connecting, pretty lines, Ctrl-C exits 0. */

const run = promisify(execFile);
let socket: string | undefined;
let dir: string | undefined;
const gateways: FakeGateway[] = [];

async function tmux(...args: string[]): Promise<string> {
  const env = e2eEnv();
  delete env.TMUX;
  delete env.TERM;
  const { stdout } = await run('tmux', ['-L', socket!, '-f', join(dir!, 'tmux.conf'), ...args], { env });
  return stdout;
}

function waitForPane(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  return pollFor(() => tmux('capture-pane', '-p', '-t', 'tail'), (pane) => pattern.test(pane), { what: `the pane to match ${pattern}`, timeoutMs, everyMs: 50, show: (pane) => pane });
}

afterEach(async () => {
  if (socket) await tmux('kill-server').catch(() => {});
  socket = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
  for (const g of gateways.splice(0)) await g.close();
});

requireProgram('tmux').describe('tail on a terminal', () => {
  it('spins while connecting, settles on "connected", prints pretty lines, and Ctrl-C exits 0', async () => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-tail-tmux-'));
    socket = `hangar-tail-${process.pid}-${Date.now()}`;
    writeFileSync(join(dir, 'tmux.conf'), 'set -g status off\n');
    const g = await startFakeGateway({ blindWindowMs: 60_000 });
    gateways.push(g);
    const script = `env TZ=UTC NO_COLOR=1 '${process.execPath}' '${BIN}' tail '${g.url}' --time utc; echo "exit=$?"; exec sleep 600`;
    await tmux('new-session', '-d', '-s', 'tail', '-x', '120', '-y', '20', script);
    await g.waitForAttached(1);
    await waitForPane(/✔ connected to ws:\/\/127\.0\.0\.1/);
    g.publish(gatewayEvent('McpServerStateChanged', { mcp_server_id: 'math', old_state: 'ready', new_state: 'degraded' }));
    const pane = await waitForPane(/McpServerStateChanged/);
    expect(pane).toMatch(/McpServerStateChanged math ready -> degraded/);
    await tmux('send-keys', '-t', 'tail', 'C-c');
    await waitForPane(/exit=0/);
  });
});
