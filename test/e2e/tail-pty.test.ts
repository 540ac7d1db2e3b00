import { afterEach, expect } from 'vitest';
import { requireProgram } from '../helpers/require-program.js';
import { killPtys, startInPty, visibleText } from '../helpers/pty.js';
import { killAll, startCli } from '../helpers/spawn.js';

/**
 * tail, `-o table` and demo in a real pty that reports a size of 0 columns
 * and 0 rows (`script` fed from a pipe, as on serial consoles and some CI
 * runners): the size falls back to COLUMNS/LINES, else 80x24; nothing spins hot.
 */

afterEach(async () => {
  await killPtys();
  await killAll();
});

const SERVERS = ['math', 'fetch', 'github', 'filesystem', 'postgres'];

async function startServe(): Promise<string> {
  const serve = startCli(['serve', '--port', '0', '--seed', '1', '--rate', '50']);
  return (await serve.waitFor('stderr', /listening on (ws:\/\/\S+)/, 15_000))[1]!;
}

/** A line that starts with `text` (a regexp source), after the cursor codes a frame puts before it. */
function lineStarting(text: string): RegExp {
  return new RegExp(`\\n(?:\\x1b\\[[0-9;?]*[A-Za-z])*${text}`);
}

/** The lines a terminal shows, one per line drawn (frames drawn in place appear one after the other). */
function drawnLines(output: string): string[] {
  return visibleText(output).split('\n');
}

const pty = requireProgram('script');

pty.describe('a terminal that reports 0 columns', () => {
  pty.it('tail -n 2 prints two events and exits 0 (the spinner does not spin hot)', async () => {
    const url = await startServe();
    const run = startInPty(['tail', url, '-n', '2']);
    expect(await run.exited).toBe(0);
    const lines = drawnLines(run.output()).filter((line) => /^\d\d:\d\d:\d\d\.\d{3} [A-Z]\w+ /.test(line));
    expect(lines).toHaveLength(2);
    // A redraw loop dividing by 0 columns writes megabytes of cursor codes; a few spinner frames are far less.
    expect(run.bytes()).toBeLessThan(50_000);
  }, 30_000);

  pty.it('tail -o table draws the table 80 columns wide, and Ctrl-C ends it with exit 0', async () => {
    const url = await startServe();
    const run = startInPty(['tail', url, '-o', 'table']);
    const pid = await run.pid();
    await run.waitFor(lineStarting('SERVER +STATE +BREAKER'));
    for (const name of SERVERS) await run.waitFor(lineStarting(`${name} +\\S`));
    process.kill(pid, 'SIGINT');
    expect(await run.exited).toBe(0);
    const lines = drawnLines(run.output());
    expect(lines.filter((line) => line.length > 80)).toEqual([]);
    expect(lines.some((line) => /^\d+ events {2}\d+\.\d\/s/.test(line))).toBe(true);
  }, 30_000);

  pty.it('tail -o table takes its size from COLUMNS and LINES when the terminal gives none', async () => {
    const url = await startServe();
    const run = startInPty(['tail', url, '-o', 'table'], { COLUMNS: '120', LINES: '30' });
    const pid = await run.pid();
    await run.waitFor(lineStarting('SERVER +STATE +BREAKER +HEALTH +OK +FAIL +ERR% +P50 +P95 +TOOLS +LAST EVENT'));
    await run.waitFor(lineStarting('math +\\S'));
    process.kill(pid, 'SIGINT');
    expect(await run.exited).toBe(0);
    const widest = Math.max(...drawnLines(run.output()).map((line) => line.length));
    expect(widest).toBeGreaterThan(80);
    expect(widest).toBeLessThanOrEqual(120);
  }, 30_000);

  pty.it('pretty lines are cut to the terminal (80 columns here); -v/--wide shows them in full', async () => {
    const serve = startCli(['serve', '--port', '0', '--no-demo']);
    const [, url, port] = await serve.waitFor('stderr', /listening on (ws:\/\/127\.0\.0\.1:(\d+)\/api\/ws\/events)/, 15_000);
    const event = {
      event_type: 'ToolInvocationRequested',
      mcp_server_id: 'github',
      tool_name: 'search_issues',
      correlation_id: '5b0c6f0e-8d2a-4c4e-9d7e-2f1a3b4c5d6e',
      arguments: { query: 'is:open label:bug repo:mcp-hangar/hangar sort:updated', per_page: 50 },
    };
    await fetch(`http://127.0.0.1:${port}/api/events`, { method: 'POST', body: JSON.stringify(event) });
    const lineOf = (output: string) => drawnLines(output).find((line) => line.includes('ToolInvocationRequested'))!;
    const cut = startInPty(['tail', url!, '--history', '1', '-n', '1']);
    expect(await cut.exited).toBe(0);
    expect(lineOf(cut.output()).length).toBe(80);
    expect(lineOf(cut.output())).toMatch(/ToolInvocationRequested github search_issues correlation_id=5b0c6f0e… arguments=\{…2 keys\}|…$/);
    const wide = startInPty(['tail', url!, '--history', '1', '-n', '1', '--wide']);
    expect(await wide.exited).toBe(0);
    const full = visibleText(wide.output()).replace(/\n/g, '');
    expect(full).toContain('correlation_id=5b0c6f0e-8d2a-4c4e-9d7e-2f1a3b4c5d6e arguments={"query":"is:open label:bug repo:mcp-hangar/hangar sort:updated","per_page":50}');
  }, 30_000);

  pty.it('--bell rings the terminal on shown events; without it there is no bell', async () => {
    const url = await startServe();
    const ringing = startInPty(['tail', url, '-n', '3', '--bell']);
    expect(await ringing.exited).toBe(0);
    const bells = ringing.output().split('\x07').length - 1;
    expect(bells).toBeGreaterThanOrEqual(1);
    expect(bells).toBeLessThanOrEqual(3);
    const quiet = startInPty(['tail', url, '-n', '3']);
    expect(await quiet.exited).toBe(0);
    expect(quiet.output()).not.toContain('\x07');
  }, 30_000);

  pty.it('demo draws its live table, and Ctrl-C ends it with exit 0', async () => {
    const run = startInPty(['demo', '--seed', '1', '--rate', '50']);
    const pid = await run.pid();
    await run.waitFor(lineStarting('SERVER +STATE +BREAKER'));
    await run.waitFor(lineStarting('math +\\S'));
    process.kill(pid, 'SIGINT');
    expect(await run.exited).toBe(0);
    // The table's lines (not demo's one-line hint on stderr, which the terminal wraps like any line).
    const table = drawnLines(run.output()).filter((line) => !line.startsWith('hangar-events: demo: '));
    expect(table.filter((line) => line.length > 80)).toEqual([]);
  }, 30_000);
});
