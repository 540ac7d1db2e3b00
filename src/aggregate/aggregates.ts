import { serverIdentityOf } from '../protocol/server-identity.js';
import { severityOf } from '../render/event-severity.js';
import type { HangarEvent } from '../protocol/types.js';
import { cleanLabel } from '../protocol/sanitize.js';
import { eventTimeMs } from '../protocol/event-time.js';
import { addCall, EMPTY_CALL_STATS, type CallStats, type EndedCall } from './call-stats.js';
import { callerOf, carriesCaller, tenantOf, type Caller } from './caller.js';
import { addName, emptyRows, upsertRow, type KeyedRows } from './keyed-rows.js';

/**
 * The aggregations behind `top` and the console's views, as one pure
 * reducer over the stream: per server, per server+tool, per caller (from
 * `identity_context`), per tenant, per error type+server, and the latest
 * security and enforcement events. Counts are exact since the first event;
 * durations for percentiles and the rate are recent windows (call-stats.ts).
 * Every group has a fixed capacity (the rest is counted in `overflow`), so
 * memory stays bounded however long the stream runs. Peer strings are
 * sanitized here, once.
 */

/** Groups kept per view at most; further keys are counted, not kept. */
export const MAX_SERVERS = 1000;
export const MAX_TOOLS = 2000;
export const MAX_CALLERS = 1000;
export const MAX_TENANTS = 500;
export const MAX_ERRORS = 500;
/** Security and enforcement events kept for the security view (all are counted). */
export const RECENT_SECURITY = 100;
/** Distinct server (or caller) names a caller (or tenant) row keeps; more are shown as `N+`. */
export const MAX_NAMES = 32;

export interface ServerAggregate {
  readonly server: string;
  readonly stats: CallStats;
  /** cold, initializing, ready, degraded, dead (or what the gateway said); undefined until told. */
  readonly state: string | undefined;
  readonly events: number;
  readonly lastEventType: string;
  readonly lastEventAtMs: number;
}

export interface ToolAggregate {
  readonly server: string;
  readonly tool: string;
  readonly stats: CallStats;
}

export interface CallerAggregate {
  readonly caller: Caller;
  readonly stats: CallStats;
  /** Events about this caller (calls requested, ended, denials, violations). */
  readonly events: number;
  /** Servers this caller used, in order of first use (at most MAX_NAMES). */
  readonly servers: readonly string[];
  /** The last denial or failure: `error_type: message` or the denial's reason ('' when none yet). */
  readonly lastProblem: string;
  readonly lastSeenAtMs: number;
}

export interface TenantAggregate {
  readonly tenant: string;
  readonly stats: CallStats;
  readonly events: number;
  /** Caller ids seen for this tenant (at most MAX_NAMES). */
  readonly callers: readonly string[];
  readonly servers: readonly string[];
  readonly lastProblem: string;
  readonly lastSeenAtMs: number;
}

export interface ErrorAggregate {
  readonly errorType: string;
  /** The server it happened on ('-' for none). */
  readonly server: string;
  readonly count: number;
  readonly lastMessage: string;
  readonly firstSeenAtMs: number;
  readonly lastSeenAtMs: number;
}

/** One security or enforcement event, as the security view lists it. */
export interface SecurityEntry {
  readonly type: string;
  /** What it concerns: the server, else the resource ('' when none). */
  readonly what: string;
  /** Who: the caller, else the principal, source IP, decider or tenant ('' when none). */
  readonly who: string;
  /** Its reason, action or violation ('' when none). */
  readonly detail: string;
  readonly atMs: number;
}

export interface Aggregates {
  readonly totalEvents: number;
  /** Event time of the first and the latest event (ms since the epoch). */
  readonly firstAtMs: number | undefined;
  readonly lastAtMs: number | undefined;
  readonly servers: KeyedRows<ServerAggregate>;
  readonly tools: KeyedRows<ToolAggregate>;
  readonly callers: KeyedRows<CallerAggregate>;
  readonly tenants: KeyedRows<TenantAggregate>;
  readonly errors: KeyedRows<ErrorAggregate>;
  /** Every error counted (kept or not): the denominator of an error's share. */
  readonly errorTotal: number;
  readonly securityTotal: number;
  /** The latest security events, newest LAST (at most RECENT_SECURITY). */
  readonly security: readonly SecurityEntry[];
}

export function emptyAggregates(): Aggregates {
  return {
    totalEvents: 0,
    firstAtMs: undefined,
    lastAtMs: undefined,
    servers: emptyRows(),
    tools: emptyRows(),
    callers: emptyRows(),
    tenants: emptyRows(),
    errors: emptyRows(),
    errorTotal: 0,
    securityTotal: 0,
    security: [],
  };
}

function text(value: unknown, max = 80): string {
  return typeof value === 'string' ? (cleanLabel(value, max) ?? '') : '';
}

function durationOf(event: HangarEvent): number | undefined {
  const value = event.duration_ms;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** `Provider*` types are deprecated aliases of the `McpServer*` ones. */
function canonicalType(type: string): string {
  return type.startsWith('Provider') ? `McpServer${type.slice('Provider'.length)}` : type;
}

/** The event's own time when plausible (never after its arrival: clock skew), else its arrival. */
function eventAtMs(event: HangarEvent, arrivalMs: number): number {
  const own = eventTimeMs(event);
  return own === undefined || own < 0 ? arrivalMs : Math.min(own, arrivalMs);
}

/** What an event says as an error: its error type and message, or undefined when it is not one. */
export function errorOf(event: HangarEvent): { type: string; message: string } | undefined {
  const type = canonicalType(event.event_type);
  const own = text(event.error_type, 80);
  const message = text(event.error_message, 200) || text(event.reason, 200) || text(event.message, 200);
  if (type === 'ToolInvocationFailed') return { type: own || '(none)', message };
  if (type === 'HealthCheckFailed') return { type: own || 'HealthCheckFailed', message };
  if (own !== '' && event.success !== true) return { type: own, message };
  return undefined;
}

/** What a server's state becomes after the event, as the table reads it. */
function nextState(type: string, event: HangarEvent, state: string | undefined): string | undefined {
  switch (type) {
    case 'McpServerStateChanged':
      return text(event.new_state, 24) || state;
    case 'McpServerStarted':
      return 'ready';
    case 'McpServerStopped':
      return 'cold';
    case 'McpServerDegraded':
      return 'degraded';
    case 'McpServerRegistered':
      return state ?? 'cold';
    default:
      return state;
  }
}

function securityEntry(event: HangarEvent, server: string | undefined, atMs: number): SecurityEntry {
  const caller = carriesCaller(event) ? callerOf(event) : undefined;
  const who =
    (caller !== undefined && caller.id !== 'anonymous' ? caller.id : '') ||
    text(event.principal_id) ||
    text(event.attempted_principal_id) ||
    text(event.source_ip) ||
    text(event.decided_by) ||
    text(event.tenant_id) ||
    text(event.session_id);
  const detailValue = event.reason ?? event.would_be_action ?? event.violation_type ?? event.enforcement ?? event.action ?? event.deviation_type;
  const detail = Array.isArray(event.reasons) && typeof event.reasons[0] === 'string' ? text(event.reasons[0], 160) : text(detailValue, 160);
  const what = server ?? (text(event.resource_id) || text(event.destination_host) || text(event.method));
  return { type: text(event.event_type, 60) || '?', what, who, detail, atMs };
}

/**
 * Folds one event into every view. `arrivalMs` is when it arrived (wall
 * clock); times shown are the event's own (`occurred_at`), never later than
 * its arrival.
 */
export function reduceAggregates(state: Aggregates, event: HangarEvent, arrivalMs: number): Aggregates {
  const atMs = eventAtMs(event, arrivalMs);
  const type = canonicalType(event.event_type);
  const rawServer = serverIdentityOf(event);
  const server = rawServer === undefined ? undefined : cleanLabel(rawServer, 120);
  const next: { -readonly [K in keyof Aggregates]: Aggregates[K] } = {
    ...state,
    totalEvents: state.totalEvents + 1,
    firstAtMs: Math.min(state.firstAtMs ?? atMs, atMs),
    lastAtMs: Math.max(state.lastAtMs ?? atMs, atMs),
  };
  const ended = type === 'ToolInvocationCompleted' || type === 'ToolInvocationFailed';
  const error = errorOf(event);
  const call: EndedCall | undefined = ended ? { failed: type === 'ToolInvocationFailed', durationMs: durationOf(event), errorType: error?.type ?? '', atMs } : undefined;
  const tool = text(event.tool_name, 80) || '?';

  if (server !== undefined) {
    next.servers = upsertRow(
      state.servers,
      server,
      MAX_SERVERS,
      () => ({ server, stats: EMPTY_CALL_STATS, state: undefined, events: 0, lastEventType: '', lastEventAtMs: atMs }),
      (row) => ({
        server,
        stats: call ? addCall(row.stats, call) : row.stats,
        state: nextState(type, event, row.state),
        events: row.events + 1,
        lastEventType: text(event.event_type, 60) || '?',
        lastEventAtMs: Math.max(row.lastEventAtMs, atMs),
      }),
    );
    if (call) {
      next.tools = upsertRow(state.tools, `${server}\u0000${tool}`, MAX_TOOLS, () => ({ server, tool, stats: EMPTY_CALL_STATS }), (row) => ({ ...row, stats: addCall(row.stats, call) }));
    }
  }

  const problem =
    error !== undefined && (ended || carriesCaller(event))
      ? error.message !== '' ? `${error.type}: ${error.message}` : error.type
      : type === 'AuthorizationDenied' || type.endsWith('Denied') || type.endsWith('ViolationObserved') || type.endsWith('ViolationDetected')
        ? securityEntry(event, server, atMs).detail || type
        : '';

  if (carriesCaller(event)) {
    const caller = callerOf(event);
    next.callers = upsertRow(
      state.callers,
      caller.key,
      MAX_CALLERS,
      () => ({ caller, stats: EMPTY_CALL_STATS, events: 0, servers: [], lastProblem: '', lastSeenAtMs: atMs }),
      (row) => ({
        // The latest says who it is; a tenant once known stays when a later event names none.
        caller: { ...caller, tenant: caller.tenant || row.caller.tenant, principalType: caller.principalType === 'anonymous' ? row.caller.principalType : caller.principalType },
        stats: call ? addCall(row.stats, call) : row.stats,
        events: row.events + 1,
        servers: server !== undefined ? addName(row.servers, server, MAX_NAMES) : row.servers,
        lastProblem: problem || row.lastProblem,
        lastSeenAtMs: Math.max(row.lastSeenAtMs, atMs),
      }),
    );
  }

  const tenant = tenantOf(event);
  if (tenant !== '' || ended) {
    const callerId = carriesCaller(event) ? callerOf(event).id : '';
    next.tenants = upsertRow(
      state.tenants,
      tenant,
      MAX_TENANTS,
      () => ({ tenant, stats: EMPTY_CALL_STATS, events: 0, callers: [], servers: [], lastProblem: '', lastSeenAtMs: atMs }),
      (row) => ({
        tenant,
        stats: call ? addCall(row.stats, call) : row.stats,
        events: row.events + 1,
        callers: callerId !== '' ? addName(row.callers, callerId, MAX_NAMES) : row.callers,
        servers: server !== undefined ? addName(row.servers, server, MAX_NAMES) : row.servers,
        lastProblem: problem || row.lastProblem,
        lastSeenAtMs: Math.max(row.lastSeenAtMs, atMs),
      }),
    );
  }

  if (error !== undefined) {
    const where = server ?? '-';
    next.errorTotal = state.errorTotal + 1;
    next.errors = upsertRow(
      state.errors,
      `${error.type}\u0000${where}`,
      MAX_ERRORS,
      () => ({ errorType: error.type, server: where, count: 0, lastMessage: '', firstSeenAtMs: atMs, lastSeenAtMs: atMs }),
      (row) => ({
        ...row,
        count: row.count + 1,
        lastMessage: atMs >= row.lastSeenAtMs ? error.message || row.lastMessage : row.lastMessage,
        firstSeenAtMs: Math.min(row.firstSeenAtMs, atMs),
        lastSeenAtMs: Math.max(row.lastSeenAtMs, atMs),
      }),
    );
  }

  // A requested approval is the approvals view's, not an alert (as on the table's security line).
  if (severityOf(event) === 'security' && type !== 'ToolApprovalRequested') {
    next.securityTotal = state.securityTotal + 1;
    const kept = state.security.length >= RECENT_SECURITY ? state.security.slice(state.security.length - RECENT_SECURITY + 1) : state.security.slice();
    kept.push(securityEntry(event, server, atMs));
    next.security = kept;
  }
  return next;
}

/** Folds a list of events (the console's kept events, under a filter) into fresh aggregates. */
export function aggregateEvents(events: Iterable<{ readonly event: HangarEvent; readonly arrivalMs: number }>): Aggregates {
  let state = emptyAggregates();
  for (const { event, arrivalMs } of events) state = reduceAggregates(state, event, arrivalMs);
  return state;
}
