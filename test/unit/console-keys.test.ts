import { describe, expect, it } from 'vitest';
import { initialConsoleState, reduceConsoleKey, selectedIndex, type ConsoleKey, type ConsoleState, type KeyContext, type RowRef } from '../../src/console/console-state.js';
import { parseConsoleFilter } from '../../src/console/console-filter.js';
import { decodeKeys } from '../../src/io/keys.js';
import { KeptEvents } from '../../src/console/kept-events.js';

const ch = (char: string): ConsoleKey => ({ name: 'char', char });
const ROWS: RowRef[] = ['a', 'b', 'c', 'd', 'e'].map((key) => ({ key, opens: { kind: 'server', server: key } }));
const COLUMNS = [
  { id: 'server', header: 'SERVER' },
  { id: 'calls', header: 'CALLS' },
  { id: 'failed', header: 'FAIL' },
];

function ctx(overrides: Partial<KeyContext> = {}): KeyContext {
  return {
    rows: ROWS,
    columns: COLUMNS,
    sortColumn: 'calls',
    pageRows: 2,
    nowMs: 1000,
    checkFilter: (text) => {
      const parsed = parseConsoleFilter(text);
      return parsed.ok ? undefined : parsed.error;
    },
    ...overrides,
  };
}

/** Presses keys in turn; returns the last state and every effect. */
function press(keys: readonly ConsoleKey[], state: ConsoleState = initialConsoleState(), context: KeyContext = ctx()) {
  const effects: string[] = [];
  for (const key of keys) {
    const next = reduceConsoleKey(state, key, context);
    state = next.state;
    if (next.effect.kind !== 'none') effects.push(next.effect.kind === 'filter' ? `filter:${next.effect.text ?? ''}` : next.effect.kind);
  }
  return { state, effects };
}

describe('console keys (pure)', () => {
  it('Tab and Shift-Tab walk the views in a ring; the status says where', () => {
    expect(press([{ name: 'tab' }]).state.view).toBe('tools');
    expect(press([{ name: 'tab' }, { name: 'tab' }, { name: 'tab' }]).state.view).toBe('errors');
    const back = press([{ name: 'shift-tab' }]).state;
    expect(back.view).toBe('security');
    expect(back.status).toEqual({ text: 'view: security', tone: 'info', atMs: 1000 });
  });

  it('nothing is selected until a key moves the selection; then it moves and stops at the ends', () => {
    const start = initialConsoleState();
    expect(selectedIndex(start, ROWS)).toBe(-1);
    expect(selectedIndex(press([{ name: 'down' }]).state, ROWS)).toBe(0);
    expect(selectedIndex(press([ch('k')]).state, ROWS)).toBe(4);
    expect(selectedIndex(press([ch('j'), ch('j'), ch('j')]).state, ROWS)).toBe(2);
    expect(selectedIndex(press([{ name: 'end' }, { name: 'down' }]).state, ROWS)).toBe(4);
    expect(selectedIndex(press([{ name: 'end' }, { name: 'page-up' }]).state, ROWS)).toBe(2);
    expect(selectedIndex(press([{ name: 'end' }, { name: 'home' }, { name: 'up' }]).state, ROWS)).toBe(0);
    // The selection follows its row when the rows move under it.
    const onC = press([{ name: 'down' }, { name: 'down' }, { name: 'down' }]).state;
    expect(selectedIndex(onC, [ROWS[2]!, ROWS[0]!])).toBe(0);
    // When its row leaves, the row now at its place is selected.
    expect(selectedIndex(onC, [ROWS[0]!, ROWS[1]!, ROWS[3]!])).toBe(2);
  });

  it('Enter opens the selected row (asking for a selection first), Esc and Backspace go back', () => {
    const none = press([{ name: 'enter' }]);
    expect(none.state.detail).toBeUndefined();
    expect(none.state.status?.text).toBe('select a row first (↑/↓ or j/k), then Enter');
    const opened = press([{ name: 'down' }, { name: 'down' }, { name: 'enter' }]);
    expect(opened.state.detail).toEqual({ kind: 'server', server: 'b' });
    expect(opened.effects).toEqual(['detail']);
    expect(opened.state.status?.text).toBe('detail: server b (Esc back)');
    expect(press([{ name: 'escape' }], opened.state).state.detail).toBeUndefined();
    expect(press([{ name: 'backspace' }], opened.state).state.status?.text).toBe('back to servers');
  });

  it('/ opens the prompt; a bad expression stays in it with the error; Enter applies; Esc or an empty Enter clears', () => {
    const typed = press([ch('/'), ...[...'duration_ms>'].map(ch), { name: 'enter' }]);
    expect(typed.state.prompt?.text).toBe('duration_ms>');
    expect(typed.state.prompt?.error).toMatch(/^invalid filter 'duration_ms>'/);
    expect(typed.effects).toEqual([]);
    const fixed = press([...[...'500'].map(ch), { name: 'enter' }], typed.state);
    expect(fixed.state.prompt).toBeUndefined();
    expect(fixed.state.filterText).toBe('duration_ms>500');
    expect(fixed.effects).toEqual(['filter:duration_ms>500']);
    // Reopening shows the filter in effect; Backspace edits it.
    const again = press([ch('/'), { name: 'backspace' }], fixed.state).state;
    expect(again.prompt?.text).toBe('duration_ms>50');
    expect(press([{ name: 'escape' }], again).effects).toEqual(['filter:']);
    expect(press([{ name: 'escape' }], again).state.filterText).toBeUndefined();
    const emptied = press([ch('/'), ...Array.from({ length: 15 }, () => ({ name: 'backspace' }) as ConsoleKey), { name: 'enter' }], fixed.state);
    expect(emptied.state.filterText).toBeUndefined();
    expect(emptied.effects).toEqual(['filter:']);
    // Keys typed into the prompt are text, not commands.
    expect(press([ch('/'), ch('q'), ch('?')]).state.prompt?.text).toBe('q?');
  });

  it('sort: s and > move to the next column, < back, r reverses; the servers view cycles the table sort', () => {
    const tools = press([{ name: 'tab' }]).state;
    expect(press([ch('s')], tools).state.sorts.tools).toEqual({ column: 'failed', reverse: false });
    expect(press([ch('>')], tools).state.status?.text).toBe('sort: FAIL');
    expect(press([ch('<')], tools).state.sorts.tools.column).toBe('server');
    expect(press([ch('r')], tools).state.sorts.tools).toEqual({ column: undefined, reverse: true });
    expect(press([ch('s')]).state.tableSort).toBe('server');
    expect(press([ch('<')]).state.tableSort).toBe('last');
    expect(press([ch('r')]).state.status?.tone).toBe('warning');
  });

  it('? shows the help, any key closes it; p pauses; q and Ctrl-C quit; an unknown key says so', () => {
    const help = press([ch('?')]).state;
    expect(help.help).toBe(true);
    expect(press([ch('x')], help).state.help).toBe(false);
    expect(press([ch('p')]).state.paused).toBe(true);
    expect(press([ch('q')]).effects).toEqual(['quit']);
    expect(press([{ name: 'ctrl-c' }]).effects).toEqual(['quit']);
    expect(press([ch('z')]).state.status?.text).toBe("no key 'z' here: ? shows every key");
  });

  it('A jumps to the approvals view, which selects, sorts and quits like the others', () => {
    const approvals = press([ch('A')]).state;
    expect(approvals.view).toBe('approvals');
    expect(selectedIndex(press([ch('j')], approvals).state, ROWS)).toBe(0);
    expect(press([ch('/')], approvals).state.prompt).toBeDefined();
    expect(press([{ name: 'tab' }], approvals).state.view).toBe('security');
    expect(press([ch('q')], approvals).effects).toEqual(['quit']);
  });
});

describe('console filter, keys and kept events', () => {
  it('the flags language: type=, exclude=, server=, group= and --where expressions, ANDed', () => {
    const parsed = parseConsoleFilter('type=ToolInvocation* server=github duration_ms>500');
    expect(parsed.ok).toBe(true);
    const matches = parsed.ok ? parsed.filter!.matches : () => false;
    expect(matches({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'github', duration_ms: 900 })).toBe(true);
    expect(matches({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'github', duration_ms: 100 })).toBe(false);
    expect(matches({ event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', duration_ms: 900 })).toBe(false);
    expect(matches({ event_type: 'HealthCheckFailed', mcp_server_id: 'github', duration_ms: 900 })).toBe(false);
    expect(parseConsoleFilter('  ')).toEqual({ ok: true, filter: undefined });
    expect(parseConsoleFilter('server=')).toEqual({ ok: false, error: 'server= needs a value, e.g. server=github' });
    expect(parseConsoleFilter('exclude=Health* error_type=Timeout').ok).toBe(true);
  });

  it('decodes arrows, paging, Shift-Tab, Enter, Backspace, Esc and text from one chunk', () => {
    expect(decodeKeys('\x1b[A\x1b[B\x1bOA\x1b[5~\x1b[6~\x1b[H\x1b[F\x1b[Z\t\r\x7f\x1bj/é\x03')).toEqual([
      { name: 'up' }, { name: 'down' }, { name: 'up' }, { name: 'page-up' }, { name: 'page-down' }, { name: 'home' }, { name: 'end' },
      { name: 'shift-tab' }, { name: 'tab' }, { name: 'enter' }, { name: 'backspace' }, { name: 'escape' }, { name: 'char', char: 'j' },
      { name: 'char', char: '/' }, { name: 'char', char: 'é' }, { name: 'ctrl-c' },
    ]);
    expect(decodeKeys('\x1b[15~\x1b[')).toEqual([{ name: 'other' }, { name: 'other' }]);
  });

  it('kept events are bounded by count and by bytes, oldest let go of first, and counted', () => {
    const kept = new KeptEvents(3, 100);
    for (let i = 0; i < 5; i++) kept.push({ event_type: 'E', n: i }, i, 10);
    expect([...kept.values()].map((k) => k.event.n)).toEqual([2, 3, 4]);
    expect(kept.evicted).toBe(2);
    kept.push({ event_type: 'Big' }, 5, 95);
    expect([...kept.values()].map((k) => k.event.event_type)).toEqual(['Big']);
    expect(kept.bytes).toBe(95);
    kept.push({ event_type: 'Huge' }, 6, 1000);
    expect(kept.length).toBe(0);
    expect(kept.evicted).toBe(7);
    kept.push({ event_type: 'A', server: 'x' }, 7, 1);
    kept.push({ event_type: 'B', server: 'y' }, 8, 1);
    kept.push({ event_type: 'C', server: 'x' }, 9, 1);
    expect(kept.last(5, (e) => e.server === 'x').map((k) => k.event.event_type)).toEqual(['A', 'C']);
  });
});
