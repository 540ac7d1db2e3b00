import { describe, expect, test } from 'vitest';
import { createColorScheme } from '../../src/io/color.js';
import { emptyTableState, reduceTable } from '../../src/render/table/reduce-table.js';
import { renderTable } from '../../src/render/table/render-table.js';
import { fit, truncate, visibleWidth } from '../../src/render/table/text.js';

describe('terminal widths', () => {
  test('ASCII is one column a character, wide characters two, combining marks none', () => {
    expect(visibleWidth('math')).toBe(4);
    expect(visibleWidth('数据库')).toBe(6);
    expect(visibleWidth('db-🚀')).toBe(5);
    expect(visibleWidth('cafe\u0301')).toBe(4);
    expect(visibleWidth('ｆｕｌｌ')).toBe(8);
  });

  test('truncate and fit count columns, never splitting a wide character', () => {
    expect(truncate('数据库服务', 5)).toBe('数据…');
    expect(truncate('数据库服务', 6)).toBe('数据…');
    expect(truncate('数据库服务', 10)).toBe('数据库服务');
    expect(truncate('postgres', 1)).toBe('…');
    expect(truncate('postgres', 0)).toBe('');
    expect(fit('数据', 6)).toBe('数据  ');
    expect(fit('数据', 6, 'right')).toBe('  数据');
  });

  test('a table of wide server ids stays inside the terminal', () => {
    let state = emptyTableState();
    for (const id of ['数据库-primary', '🚀-launcher', 'ｆｕｌｌｗｉｄｔｈ', 'plain']) {
      state = reduceTable(state, { event_type: 'McpServerStarted', mcp_server_id: id, tools_count: 3 }, 0);
    }
    for (let width = 10; width <= 100; width += 7) {
      const lines = renderTable(state, { colors: createColorScheme(0), width, height: 20, nowMs: 0, sort: 'server', header: { sources: [], filterDescription: '' } });
      for (const line of lines) expect(visibleWidth(line), `${width}: ${line}`).toBeLessThanOrEqual(width);
    }
    const lines = renderTable(state, { colors: createColorScheme(0), width: 100, height: 20, nowMs: 0, sort: 'server', header: { sources: [], filterDescription: '' } });
    expect(lines.slice(2)).toEqual([
      'SERVER              STATE  BREAKER  HEALTH  OK  FAIL  ERR%  P50  P95  TOOLS  LAST EVENT        AGO',
      'plain               ready  -        -        0     0     -    -    -      3  McpServerStarted   0s',
      '数据库-primary      ready  -        -        0     0     -    -    -      3  McpServerStarted   0s',
      '🚀-launcher         ready  -        -        0     0     -    -    -      3  McpServerStarted   0s',
      'ｆｕｌｌｗｉｄｔｈ  ready  -        -        0     0     -    -    -      3  McpServerStarted   0s',
    ]);
  });
});
