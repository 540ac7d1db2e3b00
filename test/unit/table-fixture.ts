import type { SourceRef } from '../../src/feed/messages.js';
import type { HangarEvent } from '../../src/protocol/types.js';
import { emptyTableState, reduceTable, reduceTableNotice, type TableState } from '../../src/render/table/reduce-table.js';

/** Shared fixture of the table tests: a small fleet in known states. */
export const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
export const SOURCE: SourceRef = { url: 'ws://127.0.0.1:8000/api/ws/events', label: '127.0.0.1:8000', index: 0 };

/** Five servers, ten seconds of events ending at T0 + 10s. */
export function fleetState(): TableState {
  let state = reduceTableNotice(emptyTableState(), { kind: 'connected', source: SOURCE }, T0);
  const at = (ms: number, event: HangarEvent) => {
    state = reduceTable(state, event, T0 + ms);
  };
  at(0, { event_type: 'McpServerStarted', mcp_server_id: 'math', tools_count: 4 });
  at(100, { event_type: 'McpServerStarted', mcp_server_id: 'fetch', tools_count: 2 });
  at(200, { event_type: 'McpServerStarted', mcp_server_id: 'github', tools_count: 31 });
  at(300, { event_type: 'McpServerStateChanged', mcp_server_id: 'filesystem', old_state: 'cold', new_state: 'initializing' });
  at(400, { event_type: 'McpServerStateChanged', mcp_server_id: 'postgres', old_state: 'ready', new_state: 'dead' });
  for (let i = 0; i < 20; i++) at(1000 + i * 100, { event_type: 'ToolInvocationCompleted', mcp_server_id: 'math', duration_ms: 2 + i * 0.5 });
  at(3000, { event_type: 'ToolInvocationFailed', mcp_server_id: 'math', duration_ms: 1250 });
  for (let i = 0; i < 9; i++) at(3500 + i * 100, { event_type: 'ToolInvocationCompleted', mcp_server_id: 'fetch', duration_ms: 180 + i * 10 });
  at(4500, { event_type: 'HealthCheckPassed', mcp_server_id: 'fetch', duration_ms: 4 });
  at(5000, { event_type: 'ToolInvocationFailed', mcp_server_id: 'github', duration_ms: 30_000 });
  at(5100, { event_type: 'ToolInvocationFailed', mcp_server_id: 'github', duration_ms: 29_000 });
  at(5200, { event_type: 'ToolInvocationCompleted', mcp_server_id: 'github', duration_ms: 850 });
  at(5300, { event_type: 'CircuitBreakerStateChanged', mcp_server_id: 'github', old_state: 'closed', new_state: 'open' });
  at(5400, { event_type: 'McpServerStateChanged', mcp_server_id: 'github', old_state: 'ready', new_state: 'degraded' });
  at(6000, { event_type: 'HealthCheckFailed', mcp_server_id: 'postgres', consecutive_failures: 5, error_message: 'refused' });
  at(7000, { event_type: 'DiscoveryCycleCompleted', discovered_count: 0 });
  at(8000, { event_type: 'DiscoveryCycleCompleted', discovered_count: 1 });
  at(9000, { event_type: 'AuthKeyRotated' });
  at(9500, { event_type: 'HealthCheckPassed', mcp_server_id: 'math', duration_ms: 1 });
  return state;
}
