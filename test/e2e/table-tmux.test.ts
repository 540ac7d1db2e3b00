import { afterEach, beforeEach, expect, test } from 'vitest';
import { BIN, killAll } from '../helpers/spawn.js';
import { requireProgram } from '../helpers/require-program.js';
import { createTmuxPane, rowOf, startSeededServe as startServe } from '../helpers/tmux-pane.js';

/**
 * `tail -o table` in a real terminal: tmux runs it against `serve`, and
 * `capture-pane` shows what a person would see. Every wait polls the pane
 * (bounded); nothing sleeps a fixed time.
 */

const SERVERS = ['math', 'fetch', 'github', 'filesystem', 'postgres'];
const pane = createTmuxPane('hangar-table');
const tmuxCmd = pane.cmd;
const startInTmux = pane.start;
const paneInfo = pane.info;
const waitForPane = pane.waitFor;
/** A process the test stopped with SIGSTOP: continued in afterEach so it can die. */
let stoppedPid: number | undefined;

beforeEach(() => {
  stoppedPid = undefined;
});

afterEach(async () => {
  if (stoppedPid !== undefined) {
    try {
      process.kill(stoppedPid, 'SIGCONT');
    } catch {
      // already gone
    }
    stoppedPid = undefined;
  }
  await pane.dispose();
  await killAll();
});

requireProgram('tmux').describe('tail -o table in a real terminal (tmux)', () => {
  test('shows the header and one row per simulated server; s sorts, q quits and restores the terminal', async () => {
    const { url } = await startServe(['--rate', '50']);
    await startInTmux([process.execPath, BIN, 'tail', '-o', 'table', url]);
    const screen = await waitForPane((s) => SERVERS.every((name) => rowOf(s, name) !== undefined), 'a row for every server');
    const lines = screen.split('\n');
    // The console's line of views comes first, then the table as it always was.
    expect(lines[0]).toMatch(/^\[servers\] tools  callers  errors  approvals  security /);
    expect(lines[1]).toMatch(new RegExp(`^hangar-events  ${url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} connected  all events`));
    expect(lines[2]).toMatch(/^\d+ events {2}\d+\.\d\/s {2}last \d+s ago {2}5 servers {2}sort: problems first/);
    expect(screen).toMatch(/^SERVER +STATE +BREAKER +HEALTH +OK +FAIL +ERR% +P50 +P95 +TOOLS +LAST EVENT +AGO$/m);
    for (const name of SERVERS) expect(rowOf(screen, name)).toMatch(new RegExp(`^${name} +(ready|initializing|degraded|dead|cold|-) `));
    expect(screen).toContain('q quit  s sort (problems -> server)  p pause');
    // Drawn in place: the header appears once, however many frames were drawn.
    expect(screen.match(/^hangar-events /gm)).toHaveLength(1);
    expect(await paneInfo('#{cursor_flag}')).toBe('0');

    await tmuxCmd('send-keys', '-t', 'table', 's');
    const sorted = await waitForPane((s) => s.includes('sort: server'), 'the sort to change');
    const order = sorted.split('\n').map((line) => line.split(' ')[0]).filter((name) => SERVERS.includes(name!));
    expect(order).toEqual([...SERVERS].sort());

    await tmuxCmd('send-keys', '-t', 'table', 'p');
    await waitForPane((s) => s.includes('PAUSED'), 'the pause marker');

    await tmuxCmd('send-keys', '-t', 'table', 'q');
    const after = await waitForPane((s) => /^exit=\d+$/m.test(s) && /^-*icanon$/m.test(s), 'tail to exit after q');
    expect(after).toMatch(/^exit=0$/m);
    // Raw mode was undone (canonical input again) and the cursor is visible.
    expect(after).toMatch(/^icanon$/m);
    expect(await paneInfo('#{cursor_flag}')).toBe('1');
    const last = after;
    // The last frame stays on screen, without the keys line.
    for (const name of SERVERS) expect(rowOf(last, name)).toBeDefined();
    expect(last).not.toContain('q quit');
  });

  test('a forced drop shows the drop banner', async () => {
    const { url } = await startServe(['--rate', '50', '--chaos-drop', '0.3']);
    await startInTmux([process.execPath, BIN, 'tail', '-o', 'table', url], 130, 30);
    const screen = await waitForPane((s) => /^! \d+ events dropped by /m.test(s), 'the drop banner');
    const banner = screen.split('\n').find((line) => line.startsWith('! '))!;
    expect(banner).toMatch(/^! \d+ events dropped by 127\.0\.0\.1:\d+, last \d+ of them \d+s ago: /);
    // The banner sits between the figures and the column titles.
    const lines = screen.split('\n');
    expect(lines[3]).toBe(banner);
    expect(lines[4]).toMatch(/^SERVER /);
  });

  test('a stalled phase (tail stopped while serve publishes fast into a small queue) ends in the drop banner', async () => {
    const { url, serve } = await startServe(['--rate', '3000', '--queue-size', '16']);
    await startInTmux([process.execPath, BIN, 'tail', '-o', 'table', url], 130, 30, { exec: true });
    await waitForPane((s) => /^\d+ events .* 5 servers/m.test(s), 'the table');
    const pid = Number(await paneInfo('#{pane_pid}'));
    process.kill(pid, 'SIGSTOP');
    stoppedPid = pid;
    // serve logs when it starts dropping for a slow client.
    await serve.waitFor('stderr', /reading slower than events arrive/, 30_000);
    process.kill(pid, 'SIGCONT');
    stoppedPid = undefined;
    const screen = await waitForPane((s) => /^! \d+ events dropped by /m.test(s), 'the drop banner after the stall', 30_000);
    expect(screen.split('\n')[3]).toMatch(/^! \d+ events dropped by 127\.0\.0\.1:\d+, last \d+ of them \d+s ago: /);
  });

  test('a narrow, short terminal: columns give way, extra servers are summarised; a resize redraws; Ctrl-C quits', async () => {
    const { url } = await startServe(['--rate', '50']);
    await startInTmux([process.execPath, BIN, 'tail', '-o', 'table', url], 50, 8);
    const screen = await waitForPane((s) => /^\+\d+ more servers/m.test(s) && s.includes('5 servers'), 'the "+N more servers" line');
    const lines = screen.split('\n').filter((l) => l.length > 0);
    expect(lines.length).toBeLessThanOrEqual(8);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(50);
    expect(screen).toMatch(/^SERVER +STATE /m);
    expect(screen).not.toContain('LAST EVENT');
    // A resize redraws from a cleared screen: every column and row, one header, no leftovers.
    await tmuxCmd('resize-window', '-t', 'table', '-x', '120', '-y', '30');
    const resized = await waitForPane((s) => s.includes('LAST EVENT') && SERVERS.every((name) => rowOf(s, name) !== undefined), 'the redraw after a resize');
    expect(resized.match(/^hangar-events /gm)).toHaveLength(1);
    expect(resized.match(/^SERVER /gm)).toHaveLength(1);
    expect(resized).not.toMatch(/more servers/);
    // Ctrl-C ends it like q: exit 0, terminal restored.
    await tmuxCmd('send-keys', '-t', 'table', 'C-c');
    const after = await waitForPane((s) => /^exit=\d+$/m.test(s) && /^-*icanon$/m.test(s), 'tail to exit after Ctrl-C');
    expect(after).toMatch(/^exit=0$/m);
    expect(after).toMatch(/^icanon$/m);
    expect(await paneInfo('#{cursor_flag}')).toBe('1');
  });
});
