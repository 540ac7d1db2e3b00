import { describe, expect, it } from 'vitest';
import { aggregateEvents } from '../../src/aggregate/aggregates.js';
import { initialConsoleState, type ConsoleState } from '../../src/console/console-state.js';
import { HELP_LINES, renderConsole, type ConsoleData } from '../../src/console/render-console.js';
import { createColorScheme } from '../../src/io/color.js';
import { emptyTableState } from '../../src/render/table/reduce-table.js';
import { A0, STORY } from './aggregate-fixture.js';

const plain = createColorScheme(0);
const colored = createColorScheme(1);
const NOW = A0 + 9500;
const data: ConsoleData = {
  table: emptyTableState(),
  aggregates: aggregateEvents(STORY.map((event) => ({ event, arrivalMs: (event.occurred_at as number) * 1000 + 50 }))),
  scope: { kind: 'all' },
};
const header = { sources: [], filterDescription: 'all events', keys: true };
const tools: ConsoleState = { ...initialConsoleState(), view: 'tools' };

describe('the console frame (pure)', () => {
  it('the tools view: the line of views, the grouping, the status and the keys (color off)', () => {
    const ui: ConsoleState = { ...tools, selected: { ...tools.selected, tools: { key: 'math\u0000add', index: 1 } }, status: { text: 'view: tools', tone: 'info', atMs: NOW } };
    expect(renderConsole(ui, data, { colors: plain, width: 90, height: 10, nowMs: NOW, header })).toEqual([
      ' servers [tools] callers  errors  approvals  security   exact since start',
      '  SERVER  TOOL          CALLS↓  CALLS/S  FAIL   ERR%    P50    P95  LAST ERROR',
      '  github  create_issue       3      0.3     2  66.7%  100ms  300ms  RateLimited',
      '> math    add                1      0.1     0   0.0%  5.0ms  5.0ms  -                     ',
      '  math    divide             1      0.1     1   100%  2.0ms  2.0ms  ZeroDivisionError',
      'view: tools',
      'q quit  s < > r sort  p pause  Tab view  ↑↓ select  Enter open  / filter  ? help',
    ]);
  });

  it('with color: the current view inverse and bold, the others dim; a filter says what the figures cover', () => {
    const lines = renderConsole({ ...tools, filterText: 'server=math' }, { ...data, scope: { kind: 'kept', kept: 2, evicted: 5 } }, { colors: colored, width: 120, height: 6, nowMs: NOW, header });
    expect(lines[0]).toBe(
      '\x1b[2m servers \x1b[22m\x1b[1m\x1b[7m[tools]\x1b[27m\x1b[22m\x1b[2m callers \x1b[22m\x1b[2m errors \x1b[22m\x1b[2m approvals \x1b[22m\x1b[2m security \x1b[22m  \x1b[33mfilter server=math: the last 2 events kept (5 older let go)\x1b[39m',
    );
  });

  it('the prompt replaces the status and keys; a bad expression shows its reason on the same line', () => {
    const ui: ConsoleState = { ...tools, prompt: { text: 'duration_ms>', error: "invalid filter 'duration_ms>': missing value" } };
    const lines = renderConsole(ui, data, { colors: plain, width: 90, height: 8, nowMs: NOW, header });
    expect(lines.at(-1)).toBe("/duration_ms>█  invalid filter 'duration_ms>': missing value");
    expect(lines).toHaveLength(6);
  });

  it('help lists every key; a short, narrow terminal keeps the rows and cuts every line', () => {
    const help = renderConsole({ ...tools, help: true }, data, { colors: plain, width: 100, height: 20, nowMs: NOW, header });
    expect(help.slice(1, 2 + HELP_LINES.length)).toEqual(['keys', ...HELP_LINES]);
    const small = renderConsole(tools, data, { colors: plain, width: 30, height: 4, nowMs: NOW, header });
    expect(small).toEqual([' servers [tools] callers  err…', 'SERVER  TOOL    CALLS↓  CALLS…', 'github  creat…       3     0.3', 'math    add          1     0.1']);
    expect(small).toHaveLength(4);
    for (const line of small) expect([...line].length).toBeLessThanOrEqual(30);
  });
});
