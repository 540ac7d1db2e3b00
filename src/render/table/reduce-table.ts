import { serverIdentityOf } from '../../protocol/server-identity.js';
import type { FleetServer } from '../../protocol/fleet-snapshot.js';
import { severityOf, type Severity } from '../event-severity.js';
import type { HangarEvent } from '../../protocol/types.js';
import { eventTimeMs, parseIsoMs } from '../../protocol/event-time.js';
import { cleanLabel } from '../../protocol/sanitize.js';
import type { SourceRef } from '../../feed/messages.js';

/**
 * What the table is told about its connections (tail's notices have this
 * shape). Kinds the table only counts or ignores carry just their source.
 */
export type TableNotice =
  | { kind: 'connecting'; source: SourceRef; attempt: number }
  | { kind: 'connected'; source: SourceRef }
  | { kind: 'reconnecting'; source: SourceRef; attempt: number; delayMs: number; reason: string }
  | { kind: 'auth-failed'; source: SourceRef; message: string }
  | { kind: 'dropped'; source: SourceRef; dropped: number; totalDropped: number; message: string }
  | { kind: 'gap'; source: SourceRef; downForMs: number | undefined; reason: string }
  | { kind: 'bad-frame' | 'server-error' | 'replayed' | 'store' | 'subscribed'; source: SourceRef }
  /** The fleet snapshot seeds the rows (reduceTableSnapshot); its failure is noted in the footer. */
  | { kind: 'fleet'; source: SourceRef; servers: readonly FleetServer[]; requestedAtMs: number }
  | { kind: 'fleet-failed'; source: SourceRef; message: string };

/**
 * The live table's state and the pure reducers that build it from the stream:
 * `reduceTable` folds one event in, `reduceTableNotice` one connection notice
 * (connection state, drops, gaps). Neither mutates its input; strings that
 * came from the network are stripped of control characters here, once.
 */

/** How many recent tool-call durations each server keeps for p50/p95. */
export const LATENCY_WINDOW = 128;
/** At most this many servers get a row; events for more are counted, not tracked. */
export const MAX_SERVERS = 1000;
/** At most this many distinct server-less event types are counted by name. */
export const MAX_FOOTER_TYPES = 64;
/** The sliding window of the events-per-second figure. */
export const RATE_WINDOW_MS = 5000;
const RATE_BUCKET_MS = 250;

/** One MCP server as the events have described it so far. */
export interface ServerRow {
  readonly id: string;
  /** cold, initializing, ready, degraded, dead (or whatever the server said); undefined until known. */
  readonly state: string | undefined;
  /** closed, open, half_open; undefined until known. */
  readonly breaker: string | undefined;
  /** Result of the most recent health check. */
  readonly health: 'passed' | 'failed' | undefined;
  /** Consecutive failed health checks (0 after a pass). */
  readonly healthFailures: number;
  readonly callsOk: number;
  readonly callsFailed: number;
  /** Durations (ms) of the most recent tool calls, oldest first, at most LATENCY_WINDOW. */
  readonly latenciesMs: readonly number[];
  readonly toolsCount: number | undefined;
  readonly lastEventType: string;
  /** The last event's severity (its type refined by its fields), for the LAST EVENT column's color. */
  readonly lastSeverity: Severity;
  /** When the last event happened (its occurred_at, else its arrival), ms since the epoch; undefined for a row seeded from the fleet snapshot before its first event. */
  readonly lastEventAtMs: number | undefined;
}

/** How one endpoint's connection stands, for the header. */
export interface ConnectionStatus {
  readonly label: string;
  readonly url: string;
  readonly state: 'connecting' | 'connected' | 'reconnecting' | 'auth-failed';
  readonly attempt: number;
  /** When the next attempt is due (reconnecting only). */
  readonly retryAtMs: number | undefined;
  readonly reason: string | undefined;
}

/** Events the server announced it dropped. */
export interface DropState {
  /** Sum over endpoints of each one's latest `total_dropped`. */
  readonly totalDropped: number;
  readonly totalBySource: ReadonlyMap<number, number>;
  readonly lastDropped: number;
  readonly lastAtMs: number;
  readonly lastSource: string;
  readonly lastMessage: string;
}

/** Stretches where events may have been missed (reconnects, incomplete replays). */
export interface GapState {
  readonly count: number;
  readonly lastAtMs: number;
  readonly lastSource: string;
  readonly lastReason: string;
  readonly lastDownForMs: number | undefined;
}

interface RateBucket {
  readonly startMs: number;
  readonly count: number;
}

export interface TableState {
  /** One row per server, in order of first appearance. */
  readonly rows: readonly ServerRow[];
  /** Server id -> index into `rows` (replaced, never changed, when a server comes or goes). */
  readonly rowIndex: ReadonlyMap<string, number>;
  /** Events that concern no server, by type (bounded; the rest under `otherServerless`). */
  readonly serverlessByType: ReadonlyMap<string, number>;
  readonly otherServerless: number;
  /** Events for servers beyond MAX_SERVERS. */
  readonly untrackedEvents: number;
  readonly totalEvents: number;
  /** Arrival time of the first and the latest event. */
  readonly firstEventAtMs: number | undefined;
  readonly lastEventAtMs: number | undefined;
  readonly rateBuckets: readonly RateBucket[];
  /** Since when the rate counts: the first event, or the end of a replayed history (which is not live traffic). */
  readonly rateFromMs: number | undefined;
  readonly connections: ReadonlyMap<number, ConnectionStatus>;
  readonly drops: DropState | undefined;
  readonly gaps: GapState | undefined;
  readonly badFrames: number;
  /** Tool approvals requested and not yet granted, denied or expired, by approval_id, oldest first. */
  readonly approvals: ReadonlyMap<string, PendingApproval>;
  /** Security and enforcement events seen (undefined before the first). */
  readonly security: SecurityState | undefined;
  /** Why the last fleet snapshot (GET /api/mcp_servers) could not be used, if it could not. */
  readonly snapshotProblem: string | undefined;
}

/** A tool call waiting for a person's decision (ToolApprovalRequested). */
export interface PendingApproval {
  readonly id: string;
  readonly server: string;
  readonly tool: string;
  /** slack, dashboard, ... ('' when not given). */
  readonly channel: string;
  /** When it was requested (event time), ms since the epoch. */
  readonly requestedAtMs: number;
  /** When the gate denies it unless someone decides (expires_at), ms since the epoch; undefined when not given. */
  readonly expiresAtMs?: number | undefined;
  /** Who asked (from GET /api/approvals; the event does not say). */
  readonly requestedBy?: string | undefined;
}

/** One security or enforcement event, as the alert line shows it. */
export interface SecurityEvent {
  readonly type: string;
  /** Who or what it concerns: the server, else the source IP, principal, tenant or session ('' when none). */
  readonly subject: string;
  /** Its reason or action, when it gives one. */
  readonly detail: string;
  readonly atMs: number;
}

export interface SecurityState {
  readonly count: number;
  /** The most recent ones, newest last (at most RECENT_SECURITY_EVENTS). */
  readonly recent: readonly SecurityEvent[];
}

/** Pending approvals tracked at most (the oldest are forgotten beyond it). */
export const MAX_PENDING_APPROVALS = 200;
/** Security events kept for the alert line. */
export const RECENT_SECURITY_EVENTS = 5;

/** The state before any event or notice. */
export function emptyTableState(): TableState {
  return {
    rows: [],
    rowIndex: new Map(),
    serverlessByType: new Map(),
    otherServerless: 0,
    untrackedEvents: 0,
    totalEvents: 0,
    firstEventAtMs: undefined,
    lastEventAtMs: undefined,
    rateBuckets: [],
    rateFromMs: undefined,
    connections: new Map(),
    drops: undefined,
    gaps: undefined,
    badFrames: 0,
    approvals: new Map(),
    security: undefined,
    snapshotProblem: undefined,
  };
}

function newRow(id: string): ServerRow {
  return {
    id,
    state: undefined,
    breaker: undefined,
    health: undefined,
    healthFailures: 0,
    callsOk: 0,
    callsFailed: 0,
    latenciesMs: [],
    toolsCount: undefined,
    lastEventType: '',
    lastSeverity: 'info',
    lastEventAtMs: undefined,
  };
}

function finiteNonNegative(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The event's own time (`occurred_at`, else `timestamp`: the one rule of eventTimeMs) when plausible, else its arrival time. */
function rowTimeMs(event: HangarEvent, arrivalMs: number): number {
  const own = eventTimeMs(event);
  if (own === undefined || own < 0) return arrivalMs;
  // Clock skew between the server and us must not produce "in the future".
  return Math.min(own, arrivalMs);
}

/** `Provider*` types are deprecated aliases of `McpServer*` ones. */
function canonicalType(type: string): string {
  return type.startsWith('Provider') ? `McpServer${type.slice('Provider'.length)}` : type;
}

function pushLatency(ring: readonly number[], durationMs: number | undefined): readonly number[] {
  if (durationMs === undefined) return ring;
  const next = ring.length >= LATENCY_WINDOW ? ring.slice(ring.length - LATENCY_WINDOW + 1) : ring.slice();
  next.push(durationMs);
  return next;
}

/** Applies what one event says about its server to the row. */
function applyToRow(row: ServerRow, event: HangarEvent, type: string, atMs: number): ServerRow {
  const next: { -readonly [K in keyof ServerRow]: ServerRow[K] } = {
    ...row,
    lastEventType: cleanLabel(event.event_type) ?? '?',
    lastSeverity: severityOf(event),
    lastEventAtMs: atMs,
  };
  const tools = finiteNonNegative(event.tools_count);
  if (tools !== undefined) next.toolsCount = Math.floor(tools);
  switch (type) {
    case 'McpServerStateChanged':
      next.state = cleanLabel(event.new_state, 24) ?? row.state;
      break;
    case 'McpServerStarted':
      next.state = 'ready';
      break;
    case 'McpServerStopped':
      next.state = 'cold';
      break;
    case 'McpServerDegraded':
      next.state = 'degraded';
      break;
    case 'McpServerRegistered':
      next.state = row.state ?? 'cold';
      break;
    case 'HealthCheckPassed':
      next.health = 'passed';
      next.healthFailures = 0;
      break;
    case 'HealthCheckFailed': {
      const reported = finiteNonNegative(event.consecutive_failures);
      next.health = 'failed';
      next.healthFailures = reported !== undefined ? Math.floor(reported) : row.healthFailures + 1;
      break;
    }
    case 'ToolInvocationCompleted':
      next.callsOk = row.callsOk + 1;
      next.latenciesMs = pushLatency(row.latenciesMs, finiteNonNegative(event.duration_ms));
      break;
    case 'ToolInvocationFailed':
      next.callsFailed = row.callsFailed + 1;
      next.latenciesMs = pushLatency(row.latenciesMs, finiteNonNegative(event.duration_ms));
      break;
    case 'CircuitBreakerStateChanged':
      next.breaker = cleanLabel(event.new_state, 24) ?? row.breaker;
      break;
    default:
      break;
  }
  return next;
}

function countRate(buckets: readonly RateBucket[], nowMs: number): readonly RateBucket[] {
  const startMs = nowMs - (nowMs % RATE_BUCKET_MS);
  const last = buckets[buckets.length - 1];
  const horizon = nowMs - RATE_WINDOW_MS - RATE_BUCKET_MS;
  let first = 0;
  while (first < buckets.length && buckets[first]!.startMs < horizon) first++;
  const kept = first > 0 ? buckets.slice(first) : buckets;
  if (last && last.startMs === startMs && kept.length > 0) {
    return [...kept.slice(0, -1), { startMs, count: last.count + 1 }];
  }
  return [...kept, { startMs, count: 1 }];
}

/**
 * Folds one event into the table: its server's row (by server identity,
 * PROTOCOL.md), or the footer's per-type count when it concerns no server,
 * and the stream counters. `nowMs` is the arrival time (wall clock).
 */
export function reduceTable(state: TableState, event: HangarEvent, nowMs: number): TableState {
  const next: { -readonly [K in keyof TableState]: TableState[K] } = {
    ...state,
    totalEvents: state.totalEvents + 1,
    firstEventAtMs: state.firstEventAtMs ?? nowMs,
    lastEventAtMs: nowMs,
    rateBuckets: countRate(state.rateBuckets, nowMs),
    rateFromMs: state.rateFromMs ?? nowMs,
  };
  const rawId = serverIdentityOf(event);
  const id = rawId === undefined ? undefined : cleanLabel(rawId, 120);
  trackApprovalsAndSecurity(next, state, event, id, rowTimeMs(event, nowMs));
  if (id === undefined) {
    const name = cleanLabel(event.event_type, 60) ?? '?';
    if (state.serverlessByType.has(name) || state.serverlessByType.size < MAX_FOOTER_TYPES) {
      const counts = new Map(state.serverlessByType);
      counts.set(name, (counts.get(name) ?? 0) + 1);
      next.serverlessByType = counts;
    } else {
      next.otherServerless = state.otherServerless + 1;
    }
    return next;
  }
  const type = canonicalType(event.event_type);
  const index = state.rowIndex.get(id);
  if (type === 'McpServerDeregistered') {
    if (index !== undefined) {
      next.rows = state.rows.filter((_, i) => i !== index);
      next.rowIndex = new Map(next.rows.map((row, i) => [row.id, i]));
    }
    return next;
  }
  if (index === undefined && state.rows.length >= MAX_SERVERS) {
    next.untrackedEvents = state.untrackedEvents + 1;
    return next;
  }
  const atMs = rowTimeMs(event, nowMs);
  if (index === undefined) {
    next.rows = [...state.rows, applyToRow(newRow(id), event, type, atMs)];
    next.rowIndex = new Map(state.rowIndex).set(id, state.rows.length);
  } else {
    const rows = state.rows.slice();
    rows[index] = applyToRow(state.rows[index]!, event, type, atMs);
    next.rows = rows;
  }
  return next;
}

function text(value: unknown, max = 80): string {
  return typeof value === 'string' ? (cleanLabel(value, max) ?? '') : '';
}

/** Pending approvals come and go; security and enforcement events feed the alert line. */
function trackApprovalsAndSecurity(
  next: { approvals: TableState['approvals']; security: TableState['security'] },
  state: TableState,
  event: HangarEvent,
  server: string | undefined,
  atMs: number,
): void {
  const type = event.event_type;
  if (type.startsWith('ToolApproval')) {
    const id = text(event.approval_id, 80);
    if (id.length === 0) return;
    if (type === 'ToolApprovalRequested') {
      const approvals = new Map(state.approvals);
      approvals.delete(id);
      const expiresAtMs = typeof event.expires_at === 'string' ? parseIsoMs(event.expires_at) : undefined;
      approvals.set(id, { id, server: server ?? '-', tool: text(event.tool_name, 60) || '-', channel: text(event.channel, 24), requestedAtMs: atMs, expiresAtMs });
      while (approvals.size > MAX_PENDING_APPROVALS) approvals.delete(approvals.keys().next().value!);
      next.approvals = approvals;
      return; // shown as a pending approval, not on the alert line
    }
    if ((type === 'ToolApprovalGranted' || type === 'ToolApprovalDenied' || type === 'ToolApprovalExpired') && state.approvals.has(id)) {
      const approvals = new Map(state.approvals);
      approvals.delete(id);
      next.approvals = approvals;
    }
  }
  if (severityOf(event) !== 'security') return;
  const subject = server ?? (text(event.source_ip) || text(event.principal_id) || text(event.tenant_id) || text(event.session_id));
  const detailValue = event.reason ?? event.would_be_action ?? event.enforcement ?? event.action ?? event.violation_type;
  const detail = Array.isArray(event.reasons) && typeof event.reasons[0] === 'string' ? text(event.reasons[0]) : text(detailValue);
  const entry: SecurityEvent = { type: text(type, 60) || '?', subject, detail, atMs };
  const recent = state.security?.recent ?? [];
  next.security = {
    count: (state.security?.count ?? 0) + 1,
    recent: [...recent.slice(Math.max(0, recent.length - RECENT_SECURITY_EVENTS + 1)), entry],
  };
}

/**
 * Seeds the table from a fleet snapshot taken at `requestedAtMs` (after the
 * subscription was acknowledged): every server gets a row; a row's state, tools and
 * health come from the snapshot unless an event about that server arrived
 * since the snapshot was asked for (events are newer).
 */
export function reduceTableSnapshot(state: TableState, servers: readonly FleetServer[], requestedAtMs: number): TableState {
  const rows = state.rows.slice();
  const rowIndex = new Map(state.rowIndex);
  for (const server of servers) {
    const id = cleanLabel(server.mcp_server_id, 120);
    if (id === undefined) continue;
    const index = rowIndex.get(id);
    if (index === undefined && rows.length >= MAX_SERVERS) break;
    const row = index === undefined ? newRow(id) : rows[index]!;
    if (index !== undefined && (row.lastEventAtMs ?? 0) >= requestedAtMs) continue;
    const health = server.health_status === 'healthy' ? 'passed' : server.health_status === 'unhealthy' || server.health_status === 'degraded' ? 'failed' : row.health;
    const seeded: ServerRow = {
      ...row,
      state: cleanLabel(server.state, 24) ?? row.state,
      toolsCount: server.tools_count > 0 || row.toolsCount === undefined ? server.tools_count : row.toolsCount,
      health,
      healthFailures: health === 'passed' ? 0 : Math.max(row.healthFailures, health === 'failed' ? 1 : 0),
    };
    if (index === undefined) {
      rowIndex.set(id, rows.length);
      rows.push(seeded);
    } else {
      rows[index] = seeded;
    }
  }
  return { ...state, rows, rowIndex, snapshotProblem: undefined };
}

/** Notes that the fleet snapshot could not be used (shown in the footer; the table still fills from events). */
export function reduceTableSnapshotProblem(state: TableState, problem: string): TableState {
  return { ...state, snapshotProblem: cleanLabel(problem, 160) };
}

/** The row of server `id`, if it has one. */
export function serverRow(state: TableState, id: string): ServerRow | undefined {
  const index = state.rowIndex.get(id);
  return index === undefined ? undefined : state.rows[index];
}

/** Folds one connection notice into the header and banner state. */
export function reduceTableNotice(state: TableState, notice: TableNotice, nowMs: number): TableState {
  const source = notice.source;
  const label = cleanLabel(source.label) ?? source.url;
  const setConnection = (status: Omit<ConnectionStatus, 'label' | 'url'>): TableState => {
    const connections = new Map(state.connections);
    connections.set(source.index, { label, url: cleanLabel(source.url, 200) ?? label, ...status });
    return { ...state, connections };
  };
  switch (notice.kind) {
    case 'fleet':
      return reduceTableSnapshot(state, notice.servers, notice.requestedAtMs);
    case 'fleet-failed':
      return reduceTableSnapshotProblem(state, notice.message);
    case 'connecting':
      return setConnection({ state: 'connecting', attempt: notice.attempt, retryAtMs: undefined, reason: undefined });
    case 'connected':
      return setConnection({ state: 'connected', attempt: 0, retryAtMs: undefined, reason: undefined });
    case 'reconnecting':
      return setConnection({
        state: 'reconnecting',
        attempt: notice.attempt,
        retryAtMs: nowMs + Math.max(0, notice.delayMs),
        reason: cleanLabel(notice.reason, 200),
      });
    case 'auth-failed':
      return setConnection({ state: 'auth-failed', attempt: 0, retryAtMs: undefined, reason: cleanLabel(notice.message, 200) });
    case 'dropped': {
      const totalBySource = new Map(state.drops?.totalBySource ?? []);
      const previous = totalBySource.get(source.index) ?? 0;
      // total_dropped is cumulative per connection; a reconnect starts it again.
      const sourceTotal = notice.totalDropped >= previous ? notice.totalDropped : previous + Math.max(0, notice.dropped);
      totalBySource.set(source.index, sourceTotal);
      let totalDropped = 0;
      for (const value of totalBySource.values()) totalDropped += value;
      return {
        ...state,
        drops: {
          totalDropped,
          totalBySource,
          lastDropped: Math.max(0, notice.dropped),
          lastAtMs: nowMs,
          lastSource: label,
          lastMessage: cleanLabel(notice.message, 200) ?? '',
        },
      };
    }
    case 'gap':
      return {
        ...state,
        gaps: {
          count: (state.gaps?.count ?? 0) + 1,
          lastAtMs: nowMs,
          lastSource: label,
          lastReason: cleanLabel(notice.reason, 200) ?? 'events may have been missed',
          lastDownForMs: notice.downForMs,
        },
      };
    case 'bad-frame':
      return { ...state, badFrames: state.badFrames + 1 };
    case 'replayed':
      // History arrives in one burst: counted in the totals and rows, but not as events per second.
      return { ...state, rateBuckets: [], rateFromMs: nowMs };
    case 'server-error':
    case 'store':
    case 'subscribed':
      return state;
    default: {
      const unreachable: never = notice;
      return unreachable;
    }
  }
}

/** Events per second over the recent window, as of `nowMs`. */
export function eventRate(state: TableState, nowMs: number): number {
  if (state.rateFromMs === undefined) return 0;
  const from = nowMs - RATE_WINDOW_MS;
  let count = 0;
  for (const bucket of state.rateBuckets) if (bucket.startMs >= from && bucket.startMs <= nowMs) count += bucket.count;
  // A stream younger than the window is averaged over its own age (at least a second).
  const spanMs = Math.min(RATE_WINDOW_MS, Math.max(1000, nowMs - state.rateFromMs));
  return (count * 1000) / spanMs;
}

/** Nearest-rank percentile (0 < p <= 1) of the server's recent durations. */
export function latencyPercentile(row: ServerRow, p: number): number | undefined {
  const n = row.latenciesMs.length;
  if (n === 0) return undefined;
  // A typed array sorts numerically in native code, much faster than a comparator.
  const sorted = Float64Array.from(row.latenciesMs).sort();
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))];
}

/** Failed / all tool calls, or undefined when there were none. */
export function errorRate(row: ServerRow): number | undefined {
  const calls = row.callsOk + row.callsFailed;
  return calls === 0 ? undefined : row.callsFailed / calls;
}
