import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { createColorScheme } from '../../src/io/color.js';
import { compileTemplate, renderTemplate } from '../../src/render/template.js';

const event = {
  event_type: 'ToolInvocationFailed',
  occurred_at: Date.UTC(2026, 10, 26, 12, 0, 0, 250) / 1000,
  mcp_server_id: 'math',
  tool_name: 'div',
  duration_ms: 12.5,
  error_message: 'bad\x1b[31m input\nhere',
  identity_context: { user: { name: 'bob' }, roles: ['admin'] },
  nothing: null,
};

describe('compileTemplate / renderTemplate', () => {
  it('fills {field} and {nested.path} placeholders', () => {
    const t = compileTemplate('{event_type} {mcp_server_id}/{tool_name} {duration_ms}ms user={identity_context.user.name} roles={identity_context.roles}');
    expect(renderTemplate(t, event)).toBe('ToolInvocationFailed math/div 12.5ms user=bob roles=["admin"]');
  });
  it('writes literal braces for {{ and }}, tabs for \\t', () => {
    expect(renderTemplate(compileTemplate('{{"tool": "{tool_name}"}}'), event)).toBe('{"tool": "div"}');
    expect(renderTemplate(compileTemplate('{tool_name}\\t{duration_ms}\\\\'), event)).toBe('div\t12.5\\');
  });
  it('renders missing and null fields as -', () => {
    expect(renderTemplate(compileTemplate('[{nope}] [{nothing}] [{identity_context.user.age}] [{tool_name.x}]'), event)).toBe('[-] [-] [-] [-]');
  });
  it('sanitizes values', () => {
    expect(renderTemplate(compileTemplate('{error_message}'), event)).toBe('bad input\\nhere');
  });
  it('computes {time}, {server} and {severity} unless the event has such fields', () => {
    const t = compileTemplate('{time} {server} {severity}');
    expect(renderTemplate(t, event)).toBe('2026-11-26T12:00:00.250Z math error');
    expect(renderTemplate(t, event, undefined, { time: 'utc' })).toBe('12:00:00.250Z math error');
    expect(renderTemplate(t, { event_type: 'X', server: 'own', time: 'mine' })).toBe('mine own info');
    expect(renderTemplate(t, { event_type: 'X', mcp_server_name: 'disc' })).toBe('- disc info');
    expect(renderTemplate(compileTemplate('{server}'), { event_type: 'ToolWithdrawn', mcp_server: 'github' })).toBe('github');
    expect(renderTemplate(compileTemplate('{server}'), { event_type: 'X' })).toBe('-');
  });
  it('colors the event type and severity when given colors', () => {
    const colors = createColorScheme(1);
    expect(renderTemplate(compileTemplate('{event_type} {severity} {tool_name}'), event, colors)).toBe('\x1b[31mToolInvocationFailed\x1b[39m \x1b[31merror\x1b[39m div');
    expect(renderTemplate(compileTemplate('{event_type}'), event, createColorScheme(0))).toBe('ToolInvocationFailed');
  });
  it('renders a template without placeholders as is', () => {
    expect(renderTemplate(compileTemplate('tick'), event)).toBe('tick');
    expect(renderTemplate(compileTemplate(''), event)).toBe('');
  });
  it('throws a UsageError naming --format and the position of an unclosed {', () => {
    expect(() => compileTemplate('{tool_name} {duration_ms')).toThrow(UsageError);
    expect(() => compileTemplate('{tool_name} {duration_ms')).toThrow("invalid template '{tool_name} {duration_ms': unclosed '{' at position 13 (write '{{' for a literal brace)\n  {tool_name} {duration_ms\n              ^");
    expect(() => compileTemplate('{a {b}')).toThrow("unclosed '{' at position 1");
  });
  it('rejects a stray }, an empty {} and an empty path segment', () => {
    expect(() => compileTemplate('a } b', '--format')).toThrow(/^invalid --format 'a } b'/);
    expect(() => compileTemplate('a } b')).toThrow("invalid template 'a } b': unmatched '}' at position 3");
    expect(() => compileTemplate('x {}')).toThrow("empty placeholder '{}' at position 3");
    expect(() => compileTemplate('{a..b}')).toThrow("invalid field path 'a..b' at position 2");
  });
});
