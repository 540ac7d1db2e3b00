import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { compileWhere } from '../../src/filter/where.js';

const events = [
  { event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', tool_name: 'git_log', duration_ms: 812.5, result_size_bytes: 42, identity_context: { user: { name: 'bob' }, roles: ['admin'] } },
  { event_type: 'ToolInvocationFailed', mcp_server_id: 'math', tool_name: 'div', duration_ms: 3, error_type: 'TimeoutError', error_message: 'took > 5s', identity_context: null },
  { event_type: 'McpServerStateChanged', mcp_server_id: 'web', old_state: 'ready', new_state: 'degraded' },
  { event_type: 'McpServerStateChanged', mcp_server_id: 'web', old_state: 'cold', new_state: 'ready', healthy: false },
  { event_type: 'Custom', version: '12', flag: true, name: 'x y' },
];
const pick = (...expressions: string[]) => events.map((e, i) => (compileWhere(expressions)(e) ? i : -1)).filter((i) => i >= 0);

describe('compileWhere', () => {
  it('compares numbers numerically', () => {
    expect(pick('duration_ms>500')).toEqual([0]);
    expect(pick('duration_ms>=3')).toEqual([0, 1]);
    expect(pick('duration_ms<5')).toEqual([1]);
    expect(pick('duration_ms<=812.5')).toEqual([0, 1]);
    expect(pick('duration_ms=3')).toEqual([1]);
    expect(pick('duration_ms=3.0')).toEqual([1]);
    expect(pick('version>9')).toEqual([4]); // a numeric string orders as a number
  });
  it('compares strings, with = and !=', () => {
    expect(pick('error_type=TimeoutError')).toEqual([1]);
    expect(pick('new_state!=ready')).toEqual([0, 1, 2, 4]);
    expect(pick('new_state==ready')).toEqual([3]);
    expect(pick('new_state>e')).toEqual([3]);
    expect(pick('flag=true')).toEqual([4]);
    expect(pick("name='x y'")).toEqual([4]);
    expect(pick('name = "x y"')).toEqual([4]);
    expect(pick('error_message=took > 5s')).toEqual([1]);
  });
  it('matches regular expressions with ~ and !~', () => {
    expect(pick('tool_name~^git')).toEqual([0]);
    expect(pick('tool_name!~^git')).toEqual([1, 2, 3, 4]);
    expect(pick('error_type~/timeout/i')).toEqual([1]);
    expect(pick('identity_context~admin')).toEqual([0]);
  });
  it('follows dotted paths into nested objects', () => {
    expect(pick('identity_context.user.name=bob')).toEqual([0]);
    expect(pick('identity_context.roles.0=admin')).toEqual([0]);
    expect(pick('identity_context.user.name!=bob')).toEqual([1, 2, 3, 4]);
  });
  it('tests presence with field and absence with !field', () => {
    expect(pick('error_type')).toEqual([1]);
    expect(pick('identity_context')).toEqual([0]);
    expect(pick('healthy')).toEqual([]);
    expect(pick('!identity_context')).toEqual([1, 2, 3, 4]);
    expect(pick('!new_state')).toEqual([0, 1, 4]);
  });
  it('ANDs every expression, and an empty list passes everything', () => {
    expect(pick('mcp_server_id=math', 'duration_ms>100')).toEqual([0]);
    expect(pick()).toEqual([0, 1, 2, 3, 4]);
  });
  it('fails comparisons on missing fields', () => {
    expect(pick('nope>0')).toEqual([]);
    expect(pick('nope=x')).toEqual([]);
    expect(pick('nope~.')).toEqual([]);
  });
  it('points at the problem in a bad expression', () => {
    expect(() => compileWhere(['duration_ms>>5'])).toThrow(UsageError);
    expect(() => compileWhere(['duration_ms>>5'])).toThrow(
      "invalid filter 'duration_ms>>5': unexpected '>' after operator '>' (column 13); quote the value if it starts with it\n  duration_ms>>5\n              ^",
    );
    // tail passes its flag name, so the binary says --where (test/e2e/tail-cli.test.ts).
    expect(() => compileWhere(['>5'], '--where')).toThrow(/^invalid --where '>5'/);
    expect(() => compileWhere(['>5'])).toThrow("invalid filter '>5': missing field name before '>' (column 1)");
    expect(() => compileWhere(['duration_ms>'])).toThrow("invalid filter 'duration_ms>': missing value after '>' (column 13)");
    expect(() => compileWhere(['tool_name~('])).toThrow(/invalid filter 'tool_name~\(': bad regular expression: .*Unterminated group/);
    expect(() => compileWhere(['a!b'])).toThrow("invalid filter 'a!b': unknown operator '!' (column 2)");
    expect(() => compileWhere(['a b'])).toThrow("invalid filter 'a b': expected an operator (=, !=, >, >=, <, <=, ~, !~) after 'a' (column 3)");
    expect(() => compileWhere(['a..b=1'])).toThrow("invalid field path 'a..b'");
    expect(() => compileWhere(["a='x"])).toThrow('unterminated quote');
    expect(() => compileWhere(['!a=1'])).toThrow("'!field' takes no operator");
    expect(() => compileWhere(['  '])).toThrow('empty expression');
  });
  it('accepts a quoted value that starts with an operator character', () => {
    expect(compileWhere(["op='>5'"])({ op: '>5' })).toBe(true);
    expect(compileWhere(['op=!x'])({ op: '!x' })).toBe(true);
  });
});
