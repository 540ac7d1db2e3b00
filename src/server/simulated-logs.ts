import { serverIdentityOf } from '../protocol/server-identity.js';
import type { ServerLogLine } from '../protocol/server-logs.js';
import type { HangarEvent } from '../protocol/types.js';

/**
 * serve's answer to `GET /api/mcp_servers/{id}/logs`: stderr lines as an MCP
 * server process would write them, made from the events serve kept about
 * that server (a start, a tool call, a failed health check each leave a
 * line), so the log agrees with the stream. Pure.
 */

function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : '';
}

function ms(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? `${Math.round(value * 10) / 10}ms` : '';
}

/** The stderr line an event leaves in its server's log, or undefined for events a process would not log. */
export function logLineOf(event: HangarEvent): string | undefined {
  const type = event.event_type.startsWith('Provider') ? `McpServer${event.event_type.slice('Provider'.length)}` : event.event_type;
  switch (type) {
    case 'McpServerStarted':
      return `INFO server started (${text(event.mode) || 'subprocess'}), ${text(event.tools_count) || '0'} tools registered in ${ms(event.startup_duration_ms) || '?'}`;
    case 'McpServerStopped':
      return `INFO shutting down: ${text(event.reason) || 'stopped'}`;
    case 'McpServerStateChanged':
      return `INFO state ${text(event.old_state) || '?'} -> ${text(event.new_state) || '?'}`;
    case 'McpServerDegraded':
      return `WARN degraded after ${text(event.consecutive_failures) || '?'} consecutive failures: ${text(event.reason)}`;
    case 'HealthCheckFailed':
      return `WARN health check failed (${text(event.consecutive_failures) || '1'} in a row): ${text(event.error_message)}`;
    case 'ToolInvocationRequested':
      return `DEBUG tools/call ${text(event.tool_name)} id=${text(event.correlation_id).slice(0, 8)}`;
    case 'ToolInvocationCompleted':
      return `INFO tools/call ${text(event.tool_name)} ok in ${ms(event.duration_ms) || '?'} (${text(event.result_size_bytes) || '0'} bytes)`;
    case 'ToolInvocationFailed':
      return `ERROR tools/call ${text(event.tool_name)} failed: ${text(event.error_type)}${event.error_message ? `: ${text(event.error_message)}` : ''}`;
    case 'CircuitBreakerStateChanged':
      return `WARN circuit breaker ${text(event.old_state) || '?'} -> ${text(event.new_state) || '?'}`;
    default:
      return undefined;
  }
}

/**
 * The last `lines` log lines of server `serverId` from `events` (oldest
 * first), or undefined when the events never registered or started it (the
 * gateway answers 404 then).
 */
export function simulatedLogLines(events: Iterable<HangarEvent>, serverId: string, lines: number): ServerLogLine[] | undefined {
  let known = false;
  const out: ServerLogLine[] = [];
  for (const event of events) {
    if (serverIdentityOf(event) !== serverId) continue;
    known = !event.event_type.endsWith('Deregistered');
    const content = logLineOf(event);
    if (content === undefined) continue;
    const at = typeof event.occurred_at === 'number' && Number.isFinite(event.occurred_at) ? event.occurred_at : 0;
    out.push({ mcp_server_id: serverId, stream: 'stderr', content, recorded_at: at });
    if (out.length > lines * 2) out.splice(0, out.length - lines);
  }
  if (!known) return undefined;
  return out.slice(Math.max(0, out.length - lines));
}
