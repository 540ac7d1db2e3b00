import { aggregateEvents, type Aggregates } from '../../src/aggregate/aggregates.js';
import type { HangarEvent } from '../../src/protocol/types.js';

/** 2026-11-26T12:00:00Z: a whole second, so rate buckets start on the events. */
export const A0 = Date.UTC(2026, 10, 26, 12, 0, 0);

export const ADA = { user_id: 'user:ada', agent_id: 'claude-desktop', session_id: 's-1', principal_type: 'user', tenant_id: 'acme', correlation_id: 'c-1' };
export const CI = { user_id: 'service:ci-bot', agent_id: null, session_id: 's-2', principal_type: 'service', tenant_id: 'globex', correlation_id: 'c-4' };

const at = (seconds: number) => (A0 + seconds * 1000) / 1000;

/** A small fleet story: github's create_issue fails for ada, math divides by zero for ci-bot, a health check and a denial. */
export const STORY: readonly HangarEvent[] = [
  { event_type: 'ToolInvocationCompleted', occurred_at: at(0), mcp_server_id: 'github', tool_name: 'create_issue', duration_ms: 100, identity_context: ADA },
  { event_type: 'ToolInvocationFailed', occurred_at: at(1), mcp_server_id: 'github', tool_name: 'create_issue', duration_ms: 300, error_type: 'RateLimited', error_message: 'HTTP 429', identity_context: ADA },
  { event_type: 'ToolInvocationCompleted', occurred_at: at(2), mcp_server_id: 'math', tool_name: 'add', duration_ms: 5, identity_context: null },
  { event_type: 'ToolInvocationFailed', occurred_at: at(3), mcp_server_id: 'math', tool_name: 'divide', duration_ms: 2, error_type: 'ZeroDivisionError', error_message: 'division by zero', identity_context: CI },
  { event_type: 'HealthCheckFailed', occurred_at: at(4), mcp_server_id: 'github', consecutive_failures: 1, error_message: 'health check timed out after 5s' },
  { event_type: 'AuthorizationDenied', occurred_at: at(5), principal_id: 'user:ada', action: 'invoke', resource_type: 'tool', resource_id: 'github:create_issue', reason: 'no role grants this permission' },
  { event_type: 'McpServerStateChanged', occurred_at: at(6), mcp_server_id: 'github', old_state: 'ready', new_state: 'degraded' },
  { event_type: 'ToolInvocationFailed', occurred_at: at(7), mcp_server_id: 'github', tool_name: 'create_issue', error_type: 'RateLimited', error_message: 'HTTP 429 again', identity_context: ADA },
];

/** The story folded, each event arriving 50 ms after it happened. */
export function storyAggregates(): Aggregates {
  return aggregateEvents(STORY.map((event) => ({ event, arrivalMs: (event.occurred_at as number) * 1000 + 50 })));
}
