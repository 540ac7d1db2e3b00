/**
 * How serious an event is, in Hangar's five levels: info, success, warning,
 * error, security. Decided per type from the catalog (the type's category and
 * what it means), then refined by the event's own fields (`severity`,
 * `success`, `failed_count`/`failed`, `enforcement`, `new_state`). Unknown
 * types are classified by the words of their name, so they get a sensible
 * level too. Security covers security and enforcement events: an operator
 * must never miss them.
 */
import { lookupEventType, type EventCategory } from '../protocol/catalog.js';
import type { HangarEvent } from '../protocol/types.js';

export type Severity = 'info' | 'success' | 'warning' | 'error' | 'security';

/** From least to most serious. */
export const SEVERITIES: readonly Severity[] = ['info', 'success', 'warning', 'error', 'security'];

/** The level of a type that the state in `new_state` decides (`McpServerStateChanged`, ...). */
type ByState = 'by-state';

/**
 * Known types whose level is not their category's default. Keys are current
 * names; a deprecated alias takes its current type's level.
 */
const TYPE_SEVERITY: Readonly<Record<string, Severity | ByState>> = {
  // lifecycle
  McpServerStarted: 'success',
  McpServerDegraded: 'warning',
  McpServerStateChanged: 'by-state',
  CircuitBreakerStateChanged: 'by-state',
  // health
  HealthCheckPassed: 'success',
  HealthCheckFailed: 'error',
  McpServerIdleDetected: 'info',
  // invocation
  ToolInvocationCompleted: 'success',
  ToolInvocationFailed: 'error',
  // discovery
  McpServerDiscoveryLost: 'warning',
  McpServerQuarantined: 'security',
  DiscoverySourceHealthChanged: 'warning',
  // approvals: a request waits for a person; a withdrawn tool is gone for callers
  ToolApprovalRequested: 'security',
  ToolApprovalGranted: 'success',
  ToolApprovalDenied: 'warning',
  ToolApprovalExpired: 'warning',
  ToolWithdrawn: 'warning',
  ToolWithdrawnRejected: 'warning',
  ToolRestored: 'success',
  // enforcement: configuration changes are info, everything observed or blocked is security
  EgressPolicySet: 'info',
  EgressPolicyCleared: 'info',
  ResponseTruncated: 'warning',
  McpServerCapabilityQuarantineReleased: 'info',
  // auth
  AuthenticationFailed: 'security',
  AuthorizationDenied: 'security',
  RateLimitLockout: 'security',
  QuotaExceeded: 'security',
  PolicyPushRejected: 'security',
  QuotaWarningThresholdReached: 'warning',
  TenantSuspended: 'warning',
  ApiKeyRevoked: 'warning',
  // analysis
  EnforcementActionTaken: 'security',
  DetectionRuleMatched: 'security',
  SessionSuspended: 'security',
  SessionUnsuspended: 'info',
  // operations
  BatchCallCompleted: 'success',
  BatchInvocationCompleted: 'success',
  ConfigurationReloaded: 'success',
  ConfigurationReloadFailed: 'error',
  McpServerHotLoaded: 'success',
  McpServerLoadFailed: 'error',
  // tasks
  DigestMismatchInTask: 'security',
  TaskCompleted: 'success',
  TaskFailed: 'error',
  TaskCancelled: 'warning',
  TaskInputRequired: 'warning',
  // groups
  GroupCircuitOpened: 'error',
  GroupCircuitClosed: 'success',
  GroupStateChanged: 'by-state',
};

/** The level of a type of a category when the type has no entry of its own. */
const CATEGORY_SEVERITY: Readonly<Record<EventCategory, Severity>> = {
  lifecycle: 'info',
  health: 'info',
  invocation: 'info',
  discovery: 'info',
  approvals: 'info',
  enforcement: 'security',
  auth: 'info',
  administration: 'info',
  operations: 'info',
  tasks: 'info',
  groups: 'info',
  analysis: 'info',
  interceptors: 'info',
};

/** States of the server, breaker and group machines. */
const STATE_SEVERITY: Readonly<Record<string, Severity>> = {
  dead: 'error',
  failed: 'error',
  error: 'error',
  open: 'error',
  unhealthy: 'error',
  degraded: 'warning',
  half_open: 'warning',
  partial: 'warning',
  quarantined: 'warning',
  ready: 'success',
  closed: 'success',
  healthy: 'success',
  running: 'success',
  initializing: 'info',
  starting: 'info',
  cold: 'info',
};

/** The level of a server, breaker or group state (`dead`/`open` error, `degraded`/`half_open` warning, `ready`/`closed`/`healthy` success). */
export function severityOfState(state: string): Severity {
  return STATE_SEVERITY[state.toLowerCase()] ?? 'info';
}

const byType = new Map<string, Severity | ByState>();
const CACHE_LIMIT = 4096;

function typeRule(eventType: string): Severity | ByState {
  let rule = byType.get(eventType);
  if (rule === undefined) {
    const info = lookupEventType(eventType);
    const name = info?.aliasOf ?? eventType;
    rule = TYPE_SEVERITY[name] ?? (info !== undefined ? CATEGORY_SEVERITY[info.category] : classifyWords(splitWords(eventType)));
    if (rule === 'info' && info === undefined && /StateChanged$/.test(eventType)) rule = 'by-state';
    if (byType.size >= CACHE_LIMIT) byType.clear();
    byType.set(eventType, rule);
  }
  return rule;
}

/**
 * The level of a type alone, without looking at any event (for `types` and
 * legends): the catalog's level, or the words of an unknown name. A type
 * whose level depends on its state is `info` here.
 */
export function severityOfType(eventType: string): Severity {
  const rule = typeRule(eventType);
  return rule === 'by-state' ? 'info' : rule;
}

/** Whether the type is a security or enforcement type (whatever its fields say). */
export function isSecurityType(eventType: string): boolean {
  return typeRule(eventType) === 'security';
}

/** The event's own `severity` field, as Hangar's detectors and peers write it. */
const FIELD_SEVERITY: Readonly<Record<string, Severity>> = {
  critical: 'error',
  high: 'error',
  error: 'error',
  fatal: 'error',
  medium: 'warning',
  moderate: 'warning',
  warning: 'warning',
  warn: 'warning',
  low: 'info',
  info: 'info',
  debug: 'info',
  security: 'security',
};

/** `enforcement` values that mean nothing was enforced. */
const NOT_ENFORCED = new Set(['', 'none', 'off', 'disabled']);

/**
 * The level of one event: the type's level, refined by its fields. A
 * security type stays security whatever its fields say. Otherwise an
 * `enforcement` that did something makes it security; its own `severity`
 * (critical/high: error, medium: warning, low: info) wins next; then
 * `success: false` is an error and `success: true` a success; failures in a
 * batch (`failed_count` or `failed` above 0) make a warning, an error when
 * every call failed; a state machine's `new_state` decides state changes.
 */
export function severityOf(event: HangarEvent): Severity {
  const rule = typeRule(event.event_type);
  if (rule === 'security') return 'security';
  const enforcement = event.enforcement;
  if (typeof enforcement === 'string' && !NOT_ENFORCED.has(enforcement.toLowerCase())) return 'security';
  const own = event.severity;
  if (typeof own === 'string') {
    const level = FIELD_SEVERITY[own.toLowerCase()];
    if (level !== undefined) return level;
  }
  if (event.success === false) return 'error';
  const failed = typeof event.failed_count === 'number' ? event.failed_count : typeof event.failed === 'number' ? event.failed : undefined;
  if (failed !== undefined && failed > 0) {
    const total = event.total;
    return typeof total === 'number' && failed >= total ? 'error' : 'warning';
  }
  if (event.success === true && rule === 'info') return 'success';
  if (event.in_rotation === false || event.granted === false) return 'warning';
  if (rule === 'by-state') {
    const state = event.new_state;
    return typeof state === 'string' ? severityOfState(state) : 'info';
  }
  return rule;
}

const errorWords = new Set([
  'failed', 'failure', 'failures', 'error', 'errors', 'errored', 'lost', 'dead', 'died', 'rejected', 'crashed', 'crash',
  'unhealthy', 'fatal', 'panic', 'aborted', 'unreachable', 'killed', 'refused', 'invalid',
]);
const securityWords = new Set(['violation', 'violated', 'denied', 'lockout', 'breach', 'intrusion', 'mismatch', 'forbidden', 'unauthorized', 'suspended', 'quarantined']);
const warningWords = new Set([
  'degraded', 'timeout', 'timeouts', 'timedout', 'timed', 'quarantine', 'idle', 'dropped', 'throttled',
  'ratelimited', 'expired', 'evicted', 'retry', 'retrying', 'warning', 'warn', 'opened', 'slow', 'stale', 'overloaded',
]);
const successWords = new Set([
  'passed', 'completed', 'complete', 'started', 'succeeded', 'success', 'successful', 'registered', 'ready', 'closed',
  'recovered', 'healthy', 'connected', 'restored', 'resumed', 'ok', 'granted', 'approved',
]);

/** Unknown types: a security word wins over an error word, over a warning word, over a success word. */
function classifyWords(words: readonly string[]): Severity {
  let error = false;
  let warning = false;
  let success = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (securityWords.has(word)) return 'security';
    if (errorWords.has(word)) error = true;
    else if (warningWords.has(word)) warning = true;
    else if (successWords.has(word)) success = true;
  }
  return error ? 'error' : warning ? 'warning' : success ? 'success' : 'info';
}

/** `McpServerIdleDetected` -> mcp, server, idle, detected; `tools/call_failed` -> tools, call, failed; `HTTPError` -> http, error. */
export function splitWords(name: string): string[] {
  const words: string[] = [];
  let current = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    const isUpper = ch >= 'A' && ch <= 'Z';
    const isLower = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
    if (!isUpper && !isLower) {
      if (current) words.push(current.toLowerCase());
      current = '';
      continue;
    }
    if (isUpper && current) {
      const prev = name[i - 1]!;
      const next = name[i + 1];
      const prevLower = (prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9');
      const nextLower = next !== undefined && next >= 'a' && next <= 'z';
      // New word at a lower->Upper step, or at the last capital of an acronym ("HTTPError" -> HTTP, Error).
      if (prevLower || nextLower) {
        words.push(current.toLowerCase());
        current = '';
      }
    }
    current += ch;
  }
  if (current) words.push(current.toLowerCase());
  return words;
}
