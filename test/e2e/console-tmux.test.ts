import { afterEach, beforeEach, expect, test } from 'vitest';
import { BIN, killAll } from '../helpers/spawn.js';
import { requireProgram } from '../helpers/require-program.js';
import { createTmuxPane, rowOf, startSeededServe as startServe } from '../helpers/tmux-pane.js';

/**
 * The console of `tail -o table` in a real terminal: tmux runs it against
 * `serve --seed 1`, keys are sent as a person types them, and `capture-pane`
 * shows the screen. Every wait polls the pane; nothing sleeps a fixed time.
 */

const SERVERS = ['math', 'fetch', 'github', 'filesystem', 'postgres'];
const pane = createTmuxPane('hangar-console');
const tmuxCmd = pane.cmd;
const startInTmux = pane.start;
const paneInfo = pane.info;
const waitForPane = pane.waitFor;
const capture = pane.capture;
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

/** A server's row, also when the selection indents the rows (`> ` marks the selected one). */
function shownRow(screen: string, server: string): string | undefined {
  return screen.split('\n').find((line) => new RegExp(`^(?:[> ] )?${server} `).test(line));
}

/** Each step waits for a redraw on a loaded machine. */
const CONSOLE_TIMEOUT_MS = 180_000;

async function keys(...names: string[]): Promise<void> {
  await tmuxCmd('send-keys', '-t', 'table', ...names);
}

async function type(text: string): Promise<void> {
  await tmuxCmd('send-keys', '-t', 'table', '-l', text);
}

requireProgram('tmux').describe('the console of tail -o table in a real terminal (tmux)', () => {
  test('switch views, select, drill in (with the server log from serve), filter and clear, sort, help, resize to 60x15 and back, quit', async () => {
    const { url } = await startServe(['--rate', '50']);
    await startInTmux([process.execPath, BIN, 'tail', '-o', 'table', '--history', '500', url], 120, 30);
    await waitForPane((s) => s.startsWith('[servers] tools') && SERVERS.every((name) => rowOf(s, name) !== undefined), 'the servers view');

    // Tab: the tools view, one row per server and tool.
    await keys('Tab');
    // The servers come from the fleet snapshot at once; the tools only with the first calls: wait for two.
    let screen = await waitForPane(
      (s) => s.startsWith(' servers [tools]') && /^SERVER +TOOL +CALLS. +CALLS\/S +FAIL +ERR% +P50 +P95 +LAST ERROR$/m.test(s) && (s.match(/^\S+ +\S+ +\d+ +\d+\.\d /gm) ?? []).length >= 2,
      'the tools view with two rows',
    );
    expect(screen).toContain('view: tools');

    // Select the second row and drill in: the tool's callers and its last events.
    await keys('j', 'j');
    screen = await waitForPane((s) => /^> \S+ +\S+ +\d+/m.test(s), 'a selected row');
    const selected = screen.split('\n').find((line) => line.startsWith('> '))!.slice(2).trim().split(/ +/);
    await keys('Enter');
    screen = await waitForPane((s) => s.includes(`tool ${selected[1]} on ${selected[0]}`) && s.includes('── callers') && s.includes('── last'), 'the tool detail');
    await keys('Escape');
    // Rows are indented by two columns once a selection is shown (`> ` marks it).
    await waitForPane((s) => s.includes('back to tools') && /^ {2}SERVER +TOOL /m.test(s), 'back to the tools view');

    // Shift-Tab back to the servers; drill into math: state, its tools, its events and its log from serve.
    await keys('BTab');
    await waitForPane((s) => s.startsWith('[servers]'), 'the servers view again');
    const rows = (await capture()).split('\n').filter((line) => SERVERS.some((name) => line.startsWith(`${name} `)));
    const mathAt = rows.findIndex((line) => line.startsWith('math '));
    await keys(...Array.from({ length: mathAt + 1 }, () => 'Down'));
    await waitForPane((s) => /^> math /m.test(s), 'math selected');
    await keys('Enter');
    screen = await waitForPane((s) => s.includes('server math') && /── log \(GET/.test(s) && /^\d\d:\d\d:\d\d stderr (INFO|DEBUG|WARN|ERROR) /m.test(s) && s.includes('── tools'), 'the server detail with its log and tools');
    expect(screen).toMatch(/^state \S+ {2}breaker \S+ {2}health /m);
    await keys('Escape');

    // The filter applies to every view; a bad one is an error in the prompt, never a crash.
    await keys('/');
    await type('duration_ms>');
    await keys('Enter');
    await waitForPane((s) => /^\/duration_ms>█ +invalid filter 'duration_ms>'/m.test(s), 'the error in the prompt');
    await keys('BSpace', 'BSpace', 'BSpace', 'BSpace', 'BSpace', 'BSpace', 'BSpace', 'BSpace', 'BSpace', 'BSpace', 'BSpace', 'BSpace');
    await type('server=math');
    await keys('Enter');
    screen = await waitForPane((s) => s.includes('filter server=math: the last') && shownRow(s, 'math') !== undefined && shownRow(s, 'github') === undefined, 'the filtered table');
    expect(screen).toMatch(/connected {2}filter: server=math/);
    await keys('Tab');
    screen = await waitForPane((s) => s.startsWith(' servers [tools]') && s.includes('filter server=math'), 'the filtered tools view');
    const toolRows = screen.split('\n').filter((l) => /^(?:[> ] )?\S+ +\S+ +\d+ +\d/.test(l));
    expect(toolRows.length).toBeGreaterThan(0);
    for (const line of toolRows) expect(line).toMatch(/^(?:[> ] )?math /);
    // / then Esc clears it.
    await keys('/', 'Escape');
    await waitForPane((s) => s.includes('exact since start') && s.includes('filter cleared'), 'the filter cleared');

    // Sort: s moves to the next column, r reverses.
    await keys('s');
    await waitForPane((s) => s.includes('sort: CALLS/S') && /CALLS\/S↓/.test(s), 'sorted by calls/s');
    await keys('r');
    await waitForPane((s) => s.includes('sort reversed') && /CALLS\/S↑/.test(s), 'the sort reversed');

    // ?: every key; any key closes it.
    await keys('?');
    await waitForPane((s) => /^keys$/m.test(s) && s.includes('Tab / Shift-Tab') && s.includes('/                   filter every view'), 'the help');
    await keys('x');
    await waitForPane((s) => s.includes('help closed'), 'the help closed');

    // A small terminal: every line fits; back to the full size, everything is there once.
    await tmuxCmd('resize-window', '-t', 'table', '-x', '60', '-y', '15');
    screen = await waitForPane((s) => s.split('\n').some((l) => /^ *SERVER/.test(l)) && !s.includes('LAST ERROR'), 'the redraw at 60x15');
    const small = screen.split('\n').filter((l) => l.length > 0);
    expect(small.length).toBeLessThanOrEqual(15);
    for (const line of small) expect([...line].length).toBeLessThanOrEqual(60);
    await tmuxCmd('resize-window', '-t', 'table', '-x', '120', '-y', '30');
    screen = await waitForPane((s) => s.includes('LAST ERROR') && s.startsWith(' servers [tools]'), 'the redraw at 120x30');
    expect(screen.match(/^ *SERVER /gm)).toHaveLength(1);

    await keys('q');
    const after = await waitForPane((s) => /^exit=\d+$/m.test(s) && /^-*icanon$/m.test(s), 'tail to exit after q');
    expect(after).toMatch(/^exit=0$/m);
    expect(after).toMatch(/^icanon$/m);
  }, CONSOLE_TIMEOUT_MS);
});
