import { describe, expect, it } from 'vitest';
import { createColorScheme } from '../../src/io/color.js';
import { formatEventLine, type LineContext } from '../../src/render/line.js';
import { fitLine } from '../../src/render/line-fit.js';
import { visibleWidth } from '../../src/render/table/text.js';

const plain = createColorScheme(0);
const color = createColorScheme(1);
const stripAnsi = (t: string) => t.replace(/\x1b\[[0-9;]*m/g, '');
const ctx = (extra: Partial<LineContext> = {}): LineContext => ({ colors: plain, time: 'utc', nowMs: 0, ...extra });

const requested = {
  event_type: 'ToolInvocationRequested',
  occurred_at: Date.UTC(2026, 10, 26, 12, 0, 0, 453) / 1000,
  mcp_server_id: 'github',
  tool_name: 'search_issues',
  correlation_id: '5b0c6f0e-8d2a-4c4e-9d7e-2f1a3b4c5d6e',
  arguments: { query: 'is:open label:bug repo:mcp-hangar/hangar', per_page: 50, page: 1 },
  identity_context: { user: 'alice@example.com', tenant_id: 'blue', roles: ['admin', 'dev'] },
};

describe('fitLine', () => {
  it('cuts to the width with an ellipsis; a line that fits is untouched', () => {
    expect(fitLine('abcdefghij', 10)).toBe('abcdefghij');
    expect(fitLine('abcdefghijk', 10)).toBe('abcdefghi…');
    expect(fitLine('日本語のテキスト', 7)).toBe('日本語…');
  });
  it('does not count color codes and resets colors after a cut', () => {
    const line = `\x1b[32m${'x'.repeat(20)}\x1b[39m tail`;
    const cut = fitLine(line, 10);
    expect(stripAnsi(cut)).toBe(`${'x'.repeat(9)}…`);
    expect(cut.endsWith('\x1b[0m')).toBe(true);
    expect(fitLine(`\x1b[32mshort\x1b[39m`, 10)).toBe(`\x1b[32mshort\x1b[39m`);
  });
});

describe('pretty lines on a terminal', () => {
  it('bulky fields are short by default and in full with --wide', () => {
    expect(formatEventLine(requested, ctx())).toBe(
      '12:00:00.453Z ToolInvocationRequested github search_issues correlation_id=5b0c6f0e… arguments={…3 keys} identity_context={…3 keys}',
    );
    const wide = formatEventLine(requested, ctx({ wide: true }));
    expect(wide).toContain('correlation_id=5b0c6f0e-8d2a-4c4e-9d7e-2f1a3b4c5d6e');
    expect(wide).toContain('arguments={"query":"is:open label:bug repo:mcp-hangar/hangar","per_page":50,"page":1}');
    expect(formatEventLine({ ...requested, arguments: { a: 1 } }, ctx())).toContain(' arguments={"a":1} ');
  });
  it('a line fits the terminal width, in color too', () => {
    for (const colors of [plain, color]) {
      const line = formatEventLine(requested, ctx({ colors, width: 60 }));
      expect(visibleWidth(stripAnsi(line))).toBe(60);
      expect(stripAnsi(line).endsWith('…')).toBe(true);
    }
    expect(formatEventLine(requested, ctx({ width: 200 }))).toBe(formatEventLine(requested, ctx()));
  });
});
