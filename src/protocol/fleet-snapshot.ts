/**
 * The gateway's fleet snapshot, `GET /api/mcp_servers` (PROTOCOL.md Part 3):
 * `{"mcp_servers": [{"mcp_server_id", "state", "mode", "alive",
 * "tools_count", "health_status", "tools_predefined", "description"?}]}`.
 * `tail -o table` seeds its rows from it; `serve` answers it from the events
 * it has kept. Decoding peer input never throws.
 */
import { serverIdentityOf } from './server-identity.js';
import type { HangarEvent } from './types.js';

/** Path of the snapshot on a gateway (and on serve). */
export const MCP_SERVERS_PATH = '/api/mcp_servers';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/** One server as the gateway lists it. */
export interface FleetServer {
  readonly mcp_server_id: string;
  /** cold, initializing, ready, degraded, dead. */
  readonly state: string;
  /** subprocess, docker, remote. */
  readonly mode: string;
  readonly alive: boolean;
  readonly tools_count: number;
  readonly health_status: HealthStatus | (string & {});
  readonly tools_predefined: boolean;
  readonly description?: string;
}

/** Most servers read from one snapshot (more are ignored). */
export const MAX_SNAPSHOT_SERVERS = 10_000;

/** The servers of a snapshot body; a clear reason when it is not one. Unusable entries are skipped. */
export function decodeFleetSnapshot(body: unknown): { ok: true; servers: FleetServer[] } | { ok: false; error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, error: 'the answer is not a JSON object' };
  const list = (body as Record<string, unknown>).mcp_servers;
  if (!Array.isArray(list)) return { ok: false, error: 'the answer has no "mcp_servers" list' };
  const servers: FleetServer[] = [];
  for (const entry of list.slice(0, MAX_SNAPSHOT_SERVERS)) {
    if (typeof entry !== 'object' || entry === null) continue;
    const e = entry as Record<string, unknown>;
    if (typeof e.mcp_server_id !== 'string' || e.mcp_server_id.length === 0) continue;
    servers.push({
      mcp_server_id: e.mcp_server_id,
      state: typeof e.state === 'string' ? e.state : '',
      mode: typeof e.mode === 'string' ? e.mode : '',
      alive: e.alive === true,
      tools_count: typeof e.tools_count === 'number' && Number.isFinite(e.tools_count) && e.tools_count >= 0 ? Math.floor(e.tools_count) : 0,
      health_status: typeof e.health_status === 'string' ? e.health_status : '',
      tools_predefined: e.tools_predefined === true,
      ...(typeof e.description === 'string' ? { description: e.description } : {}),
    });
  }
  return { ok: true, servers };
}

interface Tracked {
  state: string;
  mode: string;
  tools: number;
  failures: number;
}

/** Canonical (current) name of a possibly pre-rename type. */
function current(type: string): string {
  return type.startsWith('Provider') ? `McpServer${type.slice('Provider'.length)}` : type;
}

/**
 * The fleet as a gateway would list it, folded from a stream of events
 * (oldest first): every server registered or seen and not deregistered,
 * with its last state, mode and tools count; `health_status` from its state
 * and consecutive health-check failures. Servers in order of first appearance.
 */
export function summarizeFleet(events: Iterable<HangarEvent>): FleetServer[] {
  const servers = new Map<string, Tracked>();
  for (const event of events) {
    const id = serverIdentityOf(event);
    if (id === undefined) continue;
    const type = current(event.event_type);
    if (type === 'McpServerDeregistered') {
      servers.delete(id);
      continue;
    }
    // Discovery only finds a server; it joins the fleet when it registers.
    if (type.startsWith('McpServerDiscover') || type === 'McpServerQuarantined') continue;
    let s = servers.get(id);
    if (s === undefined) {
      s = { state: 'cold', mode: '', tools: 0, failures: 0 };
      servers.set(id, s);
    }
    if (typeof event.mode === 'string') s.mode = event.mode;
    if (typeof event.tools_count === 'number' && Number.isFinite(event.tools_count)) s.tools = Math.max(0, Math.floor(event.tools_count));
    switch (type) {
      case 'McpServerStateChanged':
        if (typeof event.new_state === 'string') s.state = event.new_state;
        break;
      case 'McpServerStarted':
        s.state = 'ready';
        s.failures = 0;
        break;
      case 'McpServerStopped':
        s.state = 'cold';
        break;
      case 'McpServerDegraded':
        s.state = 'degraded';
        break;
      case 'HealthCheckPassed':
        s.failures = 0;
        break;
      case 'HealthCheckFailed':
        s.failures = typeof event.consecutive_failures === 'number' ? event.consecutive_failures : s.failures + 1;
        break;
      default:
        break;
    }
  }
  return [...servers].map(([id, s]) => ({
    mcp_server_id: id,
    state: s.state,
    mode: s.mode || 'subprocess',
    alive: s.state === 'ready' || s.state === 'degraded',
    tools_count: s.tools,
    health_status: s.state === 'dead' ? 'unhealthy' : s.state === 'degraded' || s.failures > 0 ? 'degraded' : 'healthy',
    tools_predefined: false,
  }));
}
