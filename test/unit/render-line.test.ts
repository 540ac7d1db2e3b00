import { describe, expect, it } from 'vitest';
import { createColorScheme } from '../../src/io/color.js';
import type { HangarEvent } from '../../src/protocol/types.js';
import { formatEventLine, type LineContext } from '../../src/render/line.js';
import { compileTemplate } from '../../src/render/template.js';

const plain = createColorScheme(0);
const color = createColorScheme(1);
// 2026-11-26T12:00:00.453Z
const at = Date.UTC(2026, 10, 26, 12, 0, 0, 453) / 1000;
const identity = { event_id: '6f1c0f5e', occurred_at: at, produced_by: 'hangar-7f3a' };
const ctx = (extra: Partial<LineContext> = {}): LineContext => ({ colors: plain, time: 'utc', nowMs: Date.UTC(2026, 10, 26, 12, 0, 5), ...extra });
const colored = (extra: Partial<LineContext> = {}): LineContext => ctx({ colors: color, ...extra });

// ANSI helpers (chalk level 1) to keep expectations readable.
const dim = (t: string) => `\x1b[2m${t}\x1b[22m`;
const bold = (t: string) => `\x1b[1m${t}\x1b[22m`;
const red = (t: string) => `\x1b[31m${t}\x1b[39m`;
const green = (t: string) => `\x1b[32m${t}\x1b[39m`;
const yellow = (t: string) => `\x1b[33m${t}\x1b[39m`;
const cyan = (t: string) => `\x1b[36m${t}\x1b[39m`;
const magenta = (t: string) => `\x1b[35m${t}\x1b[39m`;
const key = (t: string) => `\x1b[90m${t}\x1b[39m`;

const common: Record<string, HangarEvent> = {
  McpServerStarted: { event_type: 'McpServerStarted', ...identity, mcp_server_id: 'math', mode: 'subprocess', tools_count: 4, startup_duration_ms: 1234.5 },
  McpServerStopped: { event_type: 'McpServerStopped', ...identity, mcp_server_id: 'math', reason: 'idle timeout' },
  McpServerDegraded: { event_type: 'McpServerDegraded', ...identity, mcp_server_id: 'math', consecutive_failures: 3, total_failures: 7, reason: 'health checks failing' },
  McpServerStateChanged: { event_type: 'McpServerStateChanged', ...identity, mcp_server_id: 'math', old_state: 'ready', new_state: 'degraded' },
  McpServerIdleDetected: { event_type: 'McpServerIdleDetected', ...identity, mcp_server_id: 'math', idle_duration_s: 305, last_used_at: 1795727000.5 },
  McpServerRegistered: { event_type: 'McpServerRegistered', ...identity, mcp_server_id: 'math', source: 'config', mode: 'docker' },
  McpServerDeregistered: { event_type: 'McpServerDeregistered', ...identity, mcp_server_id: 'math', source: 'api' },
  HealthCheckPassed: { event_type: 'HealthCheckPassed', ...identity, mcp_server_id: 'math', duration_ms: 3.25 },
  HealthCheckFailed: { event_type: 'HealthCheckFailed', ...identity, mcp_server_id: 'math', consecutive_failures: 1, error_message: 'connection refused' },
  ToolInvocationRequested: { event_type: 'ToolInvocationRequested', ...identity, mcp_server_id: 'math', tool_name: 'add', correlation_id: 'c-1', arguments: { a: 1, b: 2 }, identity_context: null },
  ToolInvocationCompleted: { event_type: 'ToolInvocationCompleted', ...identity, mcp_server_id: 'math', tool_name: 'add', correlation_id: 'c-1', duration_ms: 12.5, result_size_bytes: 42, identity_context: null },
  ToolInvocationFailed: { event_type: 'ToolInvocationFailed', ...identity, mcp_server_id: 'math', tool_name: 'div', correlation_id: 'c-2', duration_ms: 1234, error_message: 'division by zero', error_type: 'ZeroDivisionError', identity_context: { user: 'bob' } },
  CircuitBreakerStateChanged: { event_type: 'CircuitBreakerStateChanged', ...identity, mcp_server_id: 'math', old_state: 'closed', new_state: 'open' },
  McpServerDiscovered: { event_type: 'McpServerDiscovered', ...identity, mcp_server_name: 'web', source_type: 'docker', mode: 'docker', fingerprint: 'sha256:ab12' },
  ProviderDiscovered: { event_type: 'ProviderDiscovered', ...identity, provider_name: 'web', source_type: 'kubernetes', mode: 'remote', fingerprint: 'f1' },
  McpServerDiscoveryLost: { event_type: 'McpServerDiscoveryLost', ...identity, mcp_server_name: 'web', source_type: 'docker', reason: 'container removed' },
  DiscoveryCycleCompleted: { event_type: 'DiscoveryCycleCompleted', ...identity, discovered_count: 3, registered_count: 1, deregistered_count: 0, quarantined_count: 0, error_count: 0, duration_ms: 1500 },
};

describe('formatEventLine without color', () => {
  const expected: Record<string, string> = {
    McpServerStarted: '12:00:00.453Z McpServerStarted math startup 1.2s mode=subprocess tools_count=4',
    McpServerStopped: '12:00:00.453Z McpServerStopped math reason="idle timeout"',
    McpServerDegraded: '12:00:00.453Z McpServerDegraded math 3 consecutive failures (7 total) reason="health checks failing"',
    McpServerStateChanged: '12:00:00.453Z McpServerStateChanged math ready -> degraded',
    McpServerIdleDetected: '12:00:00.453Z McpServerIdleDetected math idle 5m05s last_used_at=1795727000.5',
    McpServerRegistered: '12:00:00.453Z McpServerRegistered math source=config mode=docker',
    McpServerDeregistered: '12:00:00.453Z McpServerDeregistered math source=api',
    HealthCheckPassed: '12:00:00.453Z HealthCheckPassed math 3.25ms',
    HealthCheckFailed: '12:00:00.453Z HealthCheckFailed math connection refused 1 consecutive failure',
    ToolInvocationRequested: '12:00:00.453Z ToolInvocationRequested math add correlation_id=c-1 arguments={"a":1,"b":2}',
    ToolInvocationCompleted: '12:00:00.453Z ToolInvocationCompleted math add 12.5ms 42B correlation_id=c-1',
    ToolInvocationFailed: '12:00:00.453Z ToolInvocationFailed math div 1.2s ZeroDivisionError: division by zero correlation_id=c-2 identity_context={"user":"bob"}',
    CircuitBreakerStateChanged: '12:00:00.453Z CircuitBreakerStateChanged math closed -> open',
    McpServerDiscovered: '12:00:00.453Z McpServerDiscovered web source_type=docker mode=docker fingerprint=sha256:ab12',
    ProviderDiscovered: '12:00:00.453Z ProviderDiscovered web source_type=kubernetes mode=remote fingerprint=f1',
    McpServerDiscoveryLost: '12:00:00.453Z McpServerDiscoveryLost web source_type=docker reason="container removed"',
    DiscoveryCycleCompleted: '12:00:00.453Z DiscoveryCycleCompleted - 1.5s discovered_count=3 registered_count=1 deregistered_count=0 quarantined_count=0 error_count=0',
  };
  for (const [type, line] of Object.entries(expected)) {
    it(`renders ${type}`, () => {
      expect(formatEventLine(common[type]!, ctx())).toBe(line);
    });
  }
  it('renders an unknown type with its fields, and nested objects as compact JSON', () => {
    const event = { event_type: 'tools/call', ...identity, mcp_server_id: 'math', request: { id: 7, params: { name: 'add' } }, tags: ['a', 'b'], ok: true };
    expect(formatEventLine(event, ctx())).toBe('12:00:00.453Z tools/call math request={"id":7,"params":{"name":"add"}} tags=["a","b"] ok=true');
  });
  it('shows - for an event without a server and without a time', () => {
    expect(formatEventLine({ event_type: 'GatewayReloaded', config_version: 12 }, ctx())).toBe('-             GatewayReloaded - config_version=12');
  });
  it('uses the ISO timestamp (no zone = UTC) when there is no occurred_at', () => {
    const event = { event_type: 'HealthCheckPassed', timestamp: '2026-03-23T10:15:30.123456', mcp_server_id: 'math', duration_ms: 2 };
    expect(formatEventLine(event, ctx())).toBe('10:15:30.123Z HealthCheckPassed math 2ms');
    expect(formatEventLine({ ...event, timestamp: '2026-03-23T10:15:30.5+02:00' }, ctx({ time: 'iso' }))).toBe('2026-03-23T08:15:30.500Z HealthCheckPassed math 2ms');
  });
  it('shows the first server identity and the other identities as fields', () => {
    const event = { event_type: 'X', provider_id: 'old', mcp_server_name: 'named' };
    expect(formatEventLine(event, ctx({ time: 'none' }))).toBe('X old mcp_server_name=named');
  });
  it('cuts long values', () => {
    const line = formatEventLine({ event_type: 'X', blob: 'y'.repeat(500) }, ctx({ time: 'none' }));
    expect(line).toBe(`X - blob=${'y'.repeat(199)}…`);
  });
  it('leads with the source label when streams are merged', () => {
    expect(formatEventLine(common.HealthCheckPassed!, ctx({ source: { label: 'gw-a:8000', index: 1 }, time: 'none' }))).toBe('gw-a:8000 HealthCheckPassed math 3.25ms');
  });
});

describe('formatEventLine with color', () => {
  it('colors failures red, with the error message', () => {
    expect(formatEventLine(common.ToolInvocationFailed!, colored())).toBe(
      `${dim('12:00:00.453Z')} ${red('ToolInvocationFailed')} ${bold('math')} div 1.2s ${red('ZeroDivisionError: division by zero')} ${key('correlation_id=')}c-2 ${key('identity_context=')}{"user":"bob"}`,
    );
  });
  it('colors successes green', () => {
    expect(formatEventLine(common.ToolInvocationCompleted!, colored())).toBe(
      `${dim('12:00:00.453Z')} ${green('ToolInvocationCompleted')} ${bold('math')} add 12.5ms 42B ${key('correlation_id=')}c-1`,
    );
  });
  it('colors degradation yellow, an open circuit red, and the new state by its severity', () => {
    expect(formatEventLine(common.McpServerStateChanged!, colored())).toBe(`${dim('12:00:00.453Z')} ${yellow('McpServerStateChanged')} ${bold('math')} ready -> ${yellow('degraded')}`);
    expect(formatEventLine(common.CircuitBreakerStateChanged!, colored())).toBe(`${dim('12:00:00.453Z')} ${red('CircuitBreakerStateChanged')} ${bold('math')} closed -> ${red('open')}`);
    const dead = { ...common.McpServerStateChanged!, old_state: 'degraded', new_state: 'dead' };
    expect(formatEventLine(dead, colored({ time: 'none' }))).toBe(`${red('McpServerStateChanged')} ${bold('math')} degraded -> ${red('dead')}`);
    const recovered = { ...common.CircuitBreakerStateChanged!, old_state: 'half_open', new_state: 'closed' };
    expect(formatEventLine(recovered, colored({ time: 'none' }))).toBe(`${green('CircuitBreakerStateChanged')} ${bold('math')} half_open -> ${green('closed')}`);
  });
  it('leaves neutral types uncolored and dims a missing server and time', () => {
    expect(formatEventLine({ event_type: 'GatewayReloaded' }, colored())).toBe(`${dim('-            ')} GatewayReloaded ${dim('-')}`);
  });
  it('an event without occurred_at or timestamp shows its arrival time, marked with ~', () => {
    const arrived = Date.UTC(2026, 10, 26, 12, 0, 7, 250);
    expect(formatEventLine({ event_type: 'GatewayReloaded' }, ctx({ arrivalMs: () => arrived }))).toBe('12:00:07.250Z~ GatewayReloaded -');
    expect(formatEventLine({ event_type: 'GatewayReloaded' }, ctx({ time: 'iso', arrivalMs: () => arrived }))).toBe('2026-11-26T12:00:07.250Z~ GatewayReloaded -');
    expect(formatEventLine({ event_type: 'GatewayReloaded' }, ctx({ time: 'relative', arrivalMs: () => arrived }))).toBe('0s ago ~ GatewayReloaded -');
    // An event with its own time never asks for the arrival time.
    const own = formatEventLine({ event_type: 'X', occurred_at: Date.UTC(2026, 10, 26, 12, 0, 0, 453) / 1000 }, ctx({ arrivalMs: () => { throw new Error('not asked'); } }));
    expect(own).toBe('12:00:00.453Z X -');
  });
  it('colors the source label with its stable color', () => {
    expect(formatEventLine({ event_type: 'X' }, colored({ source: { label: 'b', index: 1 }, time: 'none' }))).toBe(`${magenta('b')} X ${dim('-')}`);
    expect(formatEventLine({ event_type: 'X' }, colored({ source: { label: 'a', index: 0 }, time: 'none' }))).toBe(`${cyan('a')} X ${dim('-')}`);
  });
});

describe('escape sequences from the peer', () => {
  const hostile: HangarEvent = {
    event_type: 'Tool\x1b[2JFailed',
    mcp_server_id: 'ma\x1b]0;owned\x07th',
    error_message: 'boom\x1b[31m\nsecond line',
    'ke\x1b[1Ay': 'va\x9b2Jlue',
    nested: { 'x\x1b': '\x1b]52;c;ZXZpbA==\x07' },
  };
  for (const [name, colors] of [['without color', plain], ['with color', color]] as const) {
    it(`never reach the terminal (${name})`, () => {
      const line = formatEventLine(hostile, ctx({ colors, time: 'none' }));
      // Only our own SGR color codes may remain.
      const withoutOurColors = line.replace(/\x1b\[\d+m/g, '');
      expect(withoutOurColors).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      if (colors === plain) expect(line).toBe('ToolFailed math boom\\nsecond line key=value nested={"x\\u001b":"\\u001b]52;c;ZXZpbA==\\u0007"}');
    });
  }
  it('sanitizes the source label, --fields and --format output too', () => {
    const event = { event_type: 'X', v: 'a\x1b[31mb' };
    expect(formatEventLine(event, ctx({ time: 'none', source: { label: 'l\x1b[1m', index: 0 } }))).toBe('l X - v=ab');
    expect(formatEventLine(event, ctx({ time: 'none', fields: ['v'] }))).toBe('X - v=ab');
    expect(formatEventLine(event, ctx({ template: compileTemplate('{event_type}:{v}') }))).toBe('X:ab');
  });
});

describe('--fields', () => {
  it('shows exactly the picked fields, dotted paths allowed, - when missing', () => {
    const event = { ...common.ToolInvocationFailed!, identity_context: { user: { name: 'bob smith' } } };
    const fields = ['tool_name', 'identity_context.user.name', 'duration_ms', 'nope'];
    expect(formatEventLine(event, ctx({ fields }))).toBe('12:00:00.453Z ToolInvocationFailed math tool_name=div identity_context.user.name="bob smith" duration_ms=1234 nope=-');
    expect(formatEventLine(event, colored({ fields: ['tool_name'], time: 'none' }))).toBe(`${red('ToolInvocationFailed')} ${bold('math')} ${key('tool_name=')}div`);
  });
  it('prints objects as compact JSON', () => {
    expect(formatEventLine(common.ToolInvocationRequested!, ctx({ fields: ['arguments'], time: 'none' }))).toBe('ToolInvocationRequested math arguments={"a":1,"b":2}');
  });
});

describe('--format', () => {
  it('replaces the layout with the template, source label first', () => {
    const template = compileTemplate('{time} {server} {tool_name} took {duration_ms}ms');
    expect(formatEventLine(common.ToolInvocationCompleted!, ctx({ template }))).toBe('12:00:00.453Z math add took 12.5ms');
    expect(formatEventLine(common.ToolInvocationCompleted!, ctx({ template, source: { label: 'a', index: 0 } }))).toBe('a 12:00:00.453Z math add took 12.5ms');
    expect(formatEventLine(common.ToolInvocationCompleted!, colored({ template: compileTemplate('{event_type}') }))).toBe(green('ToolInvocationCompleted'));
  });
});

describe('time modes', () => {
  const event = common.HealthCheckPassed!;
  it('utc', () => {
    expect(formatEventLine(event, ctx({ time: 'utc' }))).toBe('12:00:00.453Z HealthCheckPassed math 3.25ms');
  });
  it('iso', () => {
    expect(formatEventLine(event, ctx({ time: 'iso' }))).toBe('2026-11-26T12:00:00.453Z HealthCheckPassed math 3.25ms');
    expect(formatEventLine({ event_type: 'X' }, ctx({ time: 'iso' }))).toBe(`${'-'.padEnd(24)} X -`);
  });
  it('local, in the local time zone', () => {
    const d = new Date(at * 1000);
    const two = (n: number) => String(n).padStart(2, '0');
    const local = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.453`;
    expect(formatEventLine(event, ctx({ time: 'local' }))).toBe(`${local} HealthCheckPassed math 3.25ms`);
    expect(formatEventLine({ event_type: 'X' }, ctx({ time: 'local' }))).toBe(`${'-'.padEnd(12)} X -`);
  });
  it('relative, against the injected now', () => {
    expect(formatEventLine(event, ctx({ time: 'relative' }))).toBe('4s ago  HealthCheckPassed math 3.25ms');
    expect(formatEventLine(event, ctx({ time: 'relative', nowMs: at * 1000 + 150_000 }))).toBe('2m ago  HealthCheckPassed math 3.25ms');
    expect(formatEventLine(event, ctx({ time: 'relative', nowMs: at * 1000 + 7_300_000 }))).toBe('2h ago  HealthCheckPassed math 3.25ms');
    expect(formatEventLine(event, ctx({ time: 'relative', nowMs: at * 1000 + 3 * 86_400_000 }))).toBe('3d ago  HealthCheckPassed math 3.25ms');
    expect(formatEventLine(event, ctx({ time: 'relative', nowMs: at * 1000 - 3000 }))).toBe('in 3s   HealthCheckPassed math 3.25ms');
  });
  it('none', () => {
    expect(formatEventLine(event, ctx({ time: 'none' }))).toBe('HealthCheckPassed math 3.25ms');
  });
});

describe('peer strings that are too long, invisible or out of range', () => {
  it('cuts event_type and the server id like any value', () => {
    const line = formatEventLine({ event_type: `T${'y'.repeat(5000)}`, mcp_server_id: `s${'x'.repeat(5000)}` }, ctx({ time: 'none' }));
    expect(line.length).toBeLessThan(450);
    expect(line).toMatch(/^Ty+… sx+…$/);
  });

  it('marks invisible characters, so `ma\\u200bth` does not look like `math`', () => {
    const line = formatEventLine({ event_type: 'McpServerStarted', mcp_server_id: 'ma\u200bth' }, ctx({ time: 'none' }));
    expect(line).toMatch(/^McpServerStarted ma\\u200bth/);
  });

  it('marks every default-ignorable and format character in each field a line shows (issue 22)', () => {
    const hidden = ['\u00ad', '\u034f', '\u206a', '\u206f', '\ufff9', '\ufffb', '\u17b4', '\u{1D173}', '\u{1D17A}'];
    for (const char of hidden) {
      const line = formatEventLine(
        { event_type: `Tool${char}Failed`, mcp_server_id: `ma${char}th`, tool_name: `a${char}b`, arguments: { [`k${char}`]: `v${char}` } },
        ctx({ time: 'none' }),
      );
      expect(line.includes(char), `U+${char.codePointAt(0)!.toString(16)}: ${line}`).toBe(false);
      expect(line).toContain(`ma\\u${char.codePointAt(0)! > 0xffff ? `{${char.codePointAt(0)!.toString(16)}}` : char.codePointAt(0)!.toString(16).padStart(4, '0')}th`);
    }
  });

  it('renders an occurred_at beyond what a clock can show as the number sent, in every time mode', () => {
    for (const time of ['local', 'utc', 'iso', 'relative'] as const) {
      const line = formatEventLine({ event_type: 'X', occurred_at: 1e20 }, ctx({ time }));
      expect(line, time).not.toMatch(/NaN|Invalid/);
      expect(line.startsWith(`${String(1e20)} X`) || line.startsWith(`${String(1e20)}`), `${time}: ${line}`).toBe(true);
    }
    expect(formatEventLine({ event_type: 'X', occurred_at: -1e17 }, ctx())).toMatch(/^-100000000000000000 +X/);
  });
});
