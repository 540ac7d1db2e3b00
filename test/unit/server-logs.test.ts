import { describe, expect, it } from 'vitest';
import { decodeServerLogs, logLinesParam, serverIdOfLogsPath, serverLogsPath } from '../../src/protocol/server-logs.js';
import { logLineOf, simulatedLogLines } from '../../src/server/simulated-logs.js';
import { serverLogsUrlFor } from '../../src/client/server-logs.js';

describe('GET /api/mcp_servers/{id}/logs', () => {
  it('paths, the lines parameter as the gateway reads it, and the URL next to a stream URL', () => {
    expect(serverLogsPath('my server')).toBe('/api/mcp_servers/my%20server/logs');
    expect(serverIdOfLogsPath('/api/mcp_servers/my%20server/logs')).toBe('my server');
    expect(serverIdOfLogsPath('/api/mcp_servers/%E0%A4%A/logs')).toBeUndefined();
    expect(serverIdOfLogsPath('/api/mcp_servers/a/b/logs')).toBeUndefined();
    expect([logLinesParam(null), logLinesParam('20'), logLinesParam('0'), logLinesParam('5000'), logLinesParam('x')]).toEqual([100, 20, 1, 1000, 100]);
    expect(serverLogsUrlFor('wss://h.example/prefix/api/ws/events?token=t&x=1', 'math', 20).toString()).toBe('https://h.example/prefix/api/mcp_servers/math/logs?token=t&lines=20');
  });

  it('decodes the gateway answer totally: entries without content are skipped, a wrong shape is a reason', () => {
    expect(decodeServerLogs({ logs: [{ mcp_server_id: 'm', stream: 'stderr', content: 'hi', recorded_at: 5 }, { content: 3 }, null], mcp_server_id: 'm', count: 2 })).toEqual({
      ok: true,
      lines: [{ mcp_server_id: 'm', stream: 'stderr', content: 'hi', recorded_at: 5 }],
    });
    expect(decodeServerLogs([])).toEqual({ ok: false, error: 'the answer is not a JSON object' });
    expect(decodeServerLogs({ lines: [] })).toEqual({ ok: false, error: 'the answer has no "logs" list' });
  });

  it("serve's simulated stderr: a line per start, call and failure of that server, the last N, undefined for a server it does not know", () => {
    const events = [
      { event_type: 'McpServerStarted', mcp_server_id: 'math', mode: 'subprocess', tools_count: 4, startup_duration_ms: 120, occurred_at: 10 },
      { event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', tool_name: 'add', duration_ms: 2.25, result_size_bytes: 12, occurred_at: 11 },
      { event_type: 'ToolInvocationFailed', mcp_server_id: 'math', tool_name: 'div', error_type: 'ZeroDivisionError', error_message: 'division by zero', occurred_at: 12 },
      { event_type: 'HealthCheckPassed', mcp_server_id: 'math', occurred_at: 13 },
      { event_type: 'McpServerStarted', mcp_server_id: 'git', occurred_at: 14 },
    ];
    expect(simulatedLogLines(events, 'math', 20)).toEqual([
      { mcp_server_id: 'math', stream: 'stderr', content: 'INFO server started (subprocess), 4 tools registered in 120ms', recorded_at: 10 },
      { mcp_server_id: 'math', stream: 'stderr', content: 'INFO tools/call add ok in 2.3ms (12 bytes)', recorded_at: 11 },
      { mcp_server_id: 'math', stream: 'stderr', content: 'ERROR tools/call div failed: ZeroDivisionError: division by zero', recorded_at: 12 },
    ]);
    expect(simulatedLogLines(events, 'math', 1)!.map((l) => l.recorded_at)).toEqual([12]);
    expect(simulatedLogLines(events, 'nope', 20)).toBeUndefined();
    expect(simulatedLogLines([...events, { event_type: 'McpServerDeregistered', mcp_server_id: 'git' }], 'git', 20)).toBeUndefined();
    expect(logLineOf({ event_type: 'HealthCheckPassed' })).toBeUndefined();
  });
});
