import { describe, expect, test, vi } from 'vitest';
import { createTableSink, FRAME_INTERVAL_MS } from '../../src/tail/sinks/table-sink.js';
import { createColorScheme } from '../../src/io/color.js';
import { HIDE_CURSOR, SHOW_CURSOR, SYNC_START } from '../../src/io/live-region.js';
import { createTestIO, type TestIO } from '../helpers/test-io.js';
import { SOURCE } from './table-fixture.js';

const plain = createColorScheme(0);
const start = { sources: [SOURCE], filterDescription: '' };

function frames(io: TestIO): string[] {
  return io.stdout.chunks.filter((c) => c.startsWith(SYNC_START));
}

/** Moves the injected clock, firing the sink's timers (redraws, snapshots) that fall due. */
function step(io: TestIO, ms: number): void {
  io.advance(ms);
}

describe('table sink on a terminal', () => {
  test('Tab to the approvals view hands the keys to the approvals controller; Esc goes back to servers, Tab moves on', async () => {
    const io = createTestIO({ stdoutTTY: true, stdinTTY: true, columns: 120, rows: 20 });
    (io.stdin as unknown as { setRawMode: (m: boolean) => void }).setRawMode = () => {};
    const sink = createTableSink(io, { colors: plain, sort: 'problems', intervalMs: 5000, interactive: true });
    sink.start(start);
    sink.event({ event_type: 'ToolApprovalRequested', approval_id: 'ap-1', mcp_server_id: 'github', tool_name: 'create_issue' }, '', SOURCE);
    step(io, FRAME_INTERVAL_MS);
    // The fleet names the key that opens the view, though the console draws the keys line.
    expect(frames(io).at(-1)).toMatch(/approvals pending: 1 .* A to approve or deny/);
    io.stdin.write('\t\t\t\t');
    await vi.waitFor(() => expect(frames(io).at(-1)).toContain('a approve  d deny'));
    expect(frames(io).at(-1)).toContain('> github  create_issue');
    // Its own keys: d reaches it (without an approvals API it says it cannot send the decision).
    io.stdin.write('d');
    await vi.waitFor(() => expect(frames(io).at(-1)).toContain('cannot deny github create_issue: no gateway to send it to'));
    io.stdin.write('\x1b');
    await vi.waitFor(() => expect(frames(io).at(-1)).toContain('[servers] tools'));
    io.stdin.write('A');
    await vi.waitFor(() => expect(frames(io).at(-1)).toContain('a approve  d deny'));
    io.stdin.write('\t');
    await vi.waitFor(() => expect(frames(io).at(-1)).toContain('approvals [security]'));
    await sink.close();
  });

  test('draws at most one frame per interval however many events arrive, and restores the terminal at close', async () => {
    const io = createTestIO({ stdoutTTY: true, columns: 100, rows: 20 });
    const sink = createTableSink(io, { colors: plain, sort: 'problems', intervalMs: 5000, interactive: true });
    sink.start(start);
    expect(io.stdout.chunks[0]).toBe(HIDE_CURSOR);
    expect(frames(io)).toHaveLength(1);
    for (let i = 0; i < 1000; i++) sink.event({ event_type: 'ToolInvocationCompleted', mcp_server_id: `s${i % 3}`, duration_ms: 5 }, '', SOURCE);
    expect(frames(io)).toHaveLength(1);
    step(io, FRAME_INTERVAL_MS);
    expect(frames(io)).toHaveLength(2);
    expect(frames(io)[1]).toContain('1000 events');
    // Nothing new: no redraw until the idle refresh.
    step(io, FRAME_INTERVAL_MS * 3);
    expect(frames(io)).toHaveLength(2);
    step(io, 1000);
    expect(frames(io)).toHaveLength(3);
    await expect(sink.whenWritable()).resolves.toBeUndefined();
    sink.event({ event_type: 'HealthCheckFailed', mcp_server_id: 'late' }, '', SOURCE);
    await sink.close();
    const last = frames(io).at(-1)!;
    expect(last).toContain('late');
    expect(io.stdout.chunks.at(-1)).toBe(`\n${SHOW_CURSOR}`);
    // No timer left behind.
    const count = io.stdout.chunks.length;
    step(io, 5000);
    expect(io.stdout.chunks.length).toBe(count);
    await sink.close();
    expect(io.stdout.chunks.length).toBe(count);
  });

  test('frames fit the terminal and a resize redraws from a cleared screen', async () => {
    const io = createTestIO({ stdoutTTY: true, columns: 50, rows: 8 });
    const sink = createTableSink(io, { colors: plain, sort: 'problems', intervalMs: 5000, interactive: true });
    sink.start(start);
    for (let i = 0; i < 12; i++) sink.event({ event_type: 'McpServerStarted', mcp_server_id: `server-${i}` }, '', SOURCE);
    step(io, FRAME_INTERVAL_MS);
    const lines = frames(io).at(-1)!.split('\n');
    expect(lines).toHaveLength(8);
    expect(frames(io).at(-1)).toContain('+8 more servers');
    io.stdout.resize(120, 30);
    const redrawn = frames(io).at(-1)!;
    expect(redrawn).toContain('\x1b[H\x1b[2J');
    expect(redrawn).toContain('server-11');
    io.stdout.resize(50, 8);
    await sink.close();
    // The last frame leaves the bottom line free for the newline that ends it.
    expect(frames(io).at(-1)!.split('\n')).toHaveLength(7);
  });

  test('keys: s cycles the sort, p pauses the display while events are still counted, q and Ctrl-C ask to quit', async () => {
    const io = createTestIO({ stdoutTTY: true, stdinTTY: true, columns: 100, rows: 20 });
    const rawModes: boolean[] = [];
    (io.stdin as unknown as { setRawMode: (m: boolean) => void }).setRawMode = (m) => rawModes.push(m);
    let quits = 0;
    const sink = createTableSink(io, { colors: plain, sort: 'problems', intervalMs: 5000, interactive: true, onQuit: () => quits++ });
    sink.start(start);
    expect(rawModes).toEqual([true]);
    expect(frames(io)[0]).toContain('q quit  s sort (problems -> server)  p pause');

    io.stdin.write('s');
    await vi.waitFor(() => expect(frames(io).at(-1)).toContain('sort: server'));

    io.stdin.write('p');
    await vi.waitFor(() => expect(frames(io).at(-1)).toContain('PAUSED'));
    const pausedFrames = frames(io).length;
    for (let i = 0; i < 50; i++) sink.event({ event_type: 'X', mcp_server_id: 'a' }, '', SOURCE);
    step(io, 3000);
    expect(frames(io)).toHaveLength(pausedFrames);

    io.stdin.write('p');
    await vi.waitFor(() => expect(frames(io).at(-1)).toContain('50 events'));
    expect(frames(io).at(-1)).not.toContain('PAUSED');

    // F1 (ESC O P) is no key of the console; an arrow selects a row (the console's), s sorts.
    const before = frames(io).length;
    io.stdin.write('\x1bOP');
    io.stdin.write('\x1b[A');
    io.stdin.write('s');
    await vi.waitFor(() => expect(frames(io).at(-1)).toContain('sort: state'));
    expect(frames(io)).toHaveLength(before + 2);
    expect(frames(io).at(-1)).toContain('> a ');
    expect(frames(io).at(-1)).not.toContain('PAUSED');

    io.stdin.write('q');
    await vi.waitFor(() => expect(quits).toBe(1));
    io.stdin.write('\x03');
    await vi.waitFor(() => expect(quits).toBe(2));

    await sink.close();
    expect(rawModes).toEqual([true, false]);
    expect(io.stdin.listenerCount('data')).toBe(0);
    // The final frame has no keys line: the keys no longer work.
    expect(frames(io).at(-1)).not.toContain('q quit');
  });

  test('no keys when stdin is not a terminal', async () => {
    const io = createTestIO({ stdoutTTY: true, stdinTTY: false });
    const sink = createTableSink(io, { colors: plain, sort: 'problems', intervalMs: 5000, interactive: true });
    sink.start(start);
    expect(frames(io)[0]).not.toContain('q quit');
    expect(io.stdin.listenerCount('data')).toBe(0);
    await sink.close();
  });

  test('whenWritable waits for a drain when stdout is backed up', async () => {
    const io = createTestIO({ stdoutTTY: true });
    const sink = createTableSink(io, { colors: plain, sort: 'problems', intervalMs: 5000, interactive: true });
    sink.start(start);
    io.stdout.writableLength = 1 << 20;
    let ready = false;
    const wait = sink.whenWritable().then(() => (ready = true));
    await Promise.resolve();
    expect(ready).toBe(false);
    io.stdout.writableLength = 0;
    io.stdout.emit('drain');
    await wait;
    expect(ready).toBe(true);
    await sink.close();
  });
});

describe('table sink in a pipe', () => {
  test('plain snapshots every interval and once more at close, no escape codes', async () => {
    const io = createTestIO({ stdoutTTY: false });
    const sink = createTableSink(io, { colors: plain, sort: 'problems', intervalMs: 5000, interactive: false });
    sink.start(start);
    sink.notice({ kind: 'connected', source: SOURCE, server: 'serve' });
    sink.event({ event_type: 'McpServerStarted', mcp_server_id: 'math', tools_count: 3 }, '', SOURCE);
    expect(io.stdout.text()).toBe('');
    step(io, 4999);
    expect(io.stdout.text()).toBe('');
    step(io, 1);
    expect(io.stdout.text()).toBe(
      [
        'hangar-events  2026-11-26T12:00:05.000Z  ws://127.0.0.1:8000/api/ws/events connected  all events',
        '1 event  0.2/s  last 5s ago  1 server  sort: problems first',
        'SERVER  STATE  BREAKER  HEALTH  OK  FAIL  ERR%  P50  P95  TOOLS  LAST EVENT        AGO',
        'math    ready  -        -        0     0     -    -    -      3  McpServerStarted   5s',
        '',
        '',
      ].join('\n'),
    );
    sink.event({ event_type: 'HealthCheckFailed', mcp_server_id: 'math', consecutive_failures: 2 }, '', SOURCE);
    step(io, 5000);
    await sink.close();
    const snapshots = io.stdout.text().split('\n\n').filter((s) => s.length > 0);
    expect(snapshots).toHaveLength(3);
    expect(snapshots[2]).toContain('2026-11-26T12:00:10.000Z');
    expect(snapshots[2]).toContain('fail x2');
    expect(io.stdout.text()).not.toContain('\x1b');
    step(io, 20_000);
    expect(io.stdout.text().split('\n\n').filter((s) => s.length > 0)).toHaveLength(3);
  });

  test('close before start writes nothing', async () => {
    const io = createTestIO();
    const sink = createTableSink(io, { colors: plain, sort: 'problems', intervalMs: 5000, interactive: false });
    await sink.close();
    expect(io.stdout.text()).toBe('');
  });
});
