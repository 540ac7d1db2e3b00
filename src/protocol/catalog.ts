/**
 * The catalog of event types a Hangar gateway is known to emit, with their
 * fields (beyond the identity fields every event carries). Used by
 * `hangar-events types`, the did-you-mean for `--type`, shell completion and
 * the simulator. Clients render any type, known or not.
 */

export interface EventTypeInfo {
  readonly name: string;
  readonly category: EventCategory;
  readonly fields: readonly string[];
  readonly description: string;
  /** Deprecated alias of another type (`Provider*` of `McpServer*`). */
  readonly aliasOf?: string;
}

export type EventCategory = 'lifecycle' | 'health' | 'tools' | 'circuit breaker' | 'discovery' | 'deprecated';

/** Fields every event carries. */
export const IDENTITY_FIELDS = ['event_type', 'event_id', 'occurred_at', 'produced_by'] as const;

const lifecycle: EventTypeInfo[] = [
  { name: 'McpServerRegistered', category: 'lifecycle', fields: ['mcp_server_id', 'source', 'mode'], description: 'a server was added to the fleet (api, config or discovery)' },
  { name: 'McpServerDeregistered', category: 'lifecycle', fields: ['mcp_server_id', 'source'], description: 'a server was removed from the fleet' },
  { name: 'McpServerStarted', category: 'lifecycle', fields: ['mcp_server_id', 'mode', 'tools_count', 'startup_duration_ms'], description: 'a server process or connection came up' },
  { name: 'McpServerStopped', category: 'lifecycle', fields: ['mcp_server_id', 'reason'], description: 'a server was stopped' },
  { name: 'McpServerStateChanged', category: 'lifecycle', fields: ['mcp_server_id', 'old_state', 'new_state'], description: 'state machine transition (cold, initializing, ready, degraded, dead)' },
  { name: 'McpServerDegraded', category: 'lifecycle', fields: ['mcp_server_id', 'consecutive_failures', 'total_failures', 'reason'], description: 'a server was marked degraded after failures' },
  { name: 'McpServerIdleDetected', category: 'lifecycle', fields: ['mcp_server_id', 'idle_duration_s', 'last_used_at'], description: 'a server has been idle and may be stopped' },
];

const health: EventTypeInfo[] = [
  { name: 'HealthCheckPassed', category: 'health', fields: ['mcp_server_id', 'duration_ms'], description: 'a periodic health check succeeded' },
  { name: 'HealthCheckFailed', category: 'health', fields: ['mcp_server_id', 'consecutive_failures', 'error_message'], description: 'a periodic health check failed' },
];

const tools: EventTypeInfo[] = [
  { name: 'ToolInvocationRequested', category: 'tools', fields: ['mcp_server_id', 'tool_name', 'correlation_id', 'arguments', 'identity_context'], description: 'a tool call was sent to a server' },
  { name: 'ToolInvocationCompleted', category: 'tools', fields: ['mcp_server_id', 'tool_name', 'correlation_id', 'duration_ms', 'result_size_bytes', 'identity_context'], description: 'a tool call returned a result' },
  { name: 'ToolInvocationFailed', category: 'tools', fields: ['mcp_server_id', 'tool_name', 'correlation_id', 'duration_ms', 'error_message', 'error_type', 'identity_context'], description: 'a tool call failed' },
];

const breaker: EventTypeInfo[] = [
  { name: 'CircuitBreakerStateChanged', category: 'circuit breaker', fields: ['mcp_server_id', 'old_state', 'new_state'], description: 'breaker transition (closed, open, half_open)' },
];

const discovery: EventTypeInfo[] = [
  { name: 'McpServerDiscovered', category: 'discovery', fields: ['mcp_server_name', 'source_type', 'mode', 'fingerprint'], description: 'a discovery source found a server' },
  { name: 'McpServerDiscoveryLost', category: 'discovery', fields: ['mcp_server_name', 'source_type', 'reason'], description: 'a discovered server disappeared from its source' },
  { name: 'DiscoveryCycleCompleted', category: 'discovery', fields: ['discovered_count', 'registered_count', 'deregistered_count', 'quarantined_count', 'error_count', 'duration_ms'], description: 'one pass over all discovery sources finished' },
];

function providerAlias(info: EventTypeInfo): EventTypeInfo {
  const name = info.name.replace(/^McpServer/, 'Provider');
  const fields = info.fields.map((f) => (f === 'mcp_server_id' ? 'provider_id' : f === 'mcp_server_name' ? 'provider_name' : f));
  return { name, category: 'deprecated', fields, description: `deprecated alias of ${info.name}`, aliasOf: info.name };
}

const deprecated: EventTypeInfo[] = [...lifecycle, discovery[0]!].map(providerAlias);

/** Every known event type, grouped by category in display order. */
export const EVENT_CATALOG: readonly EventTypeInfo[] = [...lifecycle, ...health, ...tools, ...breaker, ...discovery, ...deprecated];

export const EVENT_CATEGORIES: readonly EventCategory[] = ['lifecycle', 'health', 'tools', 'circuit breaker', 'discovery', 'deprecated'];

const byName = new Map(EVENT_CATALOG.map((info) => [info.name, info]));

/** The catalog entry of a type, if known. */
export function lookupEventType(name: string): EventTypeInfo | undefined {
  return byName.get(name);
}

/** Levenshtein distance, for did-you-mean suggestions. */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/**
 * Suggestions for a name that is not in `candidates`: a case-insensitive exact
 * match first, else the closest names within a distance that grows with length.
 */
export function suggest(name: string, candidates: readonly string[], limit = 3): string[] {
  const lower = name.toLowerCase();
  const caseMatch = candidates.find((c) => c.toLowerCase() === lower);
  if (caseMatch) return [caseMatch];
  const maxDistance = Math.max(2, Math.floor(name.length / 4));
  return candidates
    .map((c) => ({ c, d: editDistance(lower, c.toLowerCase()) }))
    .filter(({ d }) => d <= maxDistance)
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, limit)
    .map(({ c }) => c);
}
