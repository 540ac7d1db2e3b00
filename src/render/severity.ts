import type { ColorScheme } from '../io/color.js';
import type { HangarEvent } from '../protocol/types.js';

/** How an event line is colored: failures red, warnings yellow, successes green, info cyan, the rest plain. */
export type Severity = 'failure' | 'warning' | 'success' | 'info' | 'neutral';

const failureWords = new Set([
  'failed', 'failure', 'failures', 'error', 'errors', 'errored', 'lost', 'dead', 'died', 'rejected', 'crashed', 'crash',
  'denied', 'unhealthy', 'fatal', 'panic', 'aborted', 'unreachable', 'killed', 'refused', 'invalid', 'violation',
]);
const warningWords = new Set([
  'degraded', 'timeout', 'timeouts', 'timedout', 'timed', 'quarantined', 'quarantine', 'idle', 'dropped', 'throttled',
  'ratelimited', 'expired', 'evicted', 'retry', 'retrying', 'warning', 'warn', 'opened', 'slow', 'stale', 'overloaded',
]);
const successWords = new Set([
  'passed', 'completed', 'complete', 'started', 'succeeded', 'success', 'successful', 'registered', 'ready', 'closed',
  'recovered', 'healthy', 'connected', 'restored', 'resumed', 'ok',
]);

/** States (new_state of *StateChanged events: server and circuit breaker machines). */
const stateSeverity: Readonly<Record<string, Severity>> = {
  dead: 'failure',
  failed: 'failure',
  error: 'failure',
  degraded: 'warning',
  open: 'warning',
  quarantined: 'warning',
  ready: 'success',
  closed: 'success',
  healthy: 'success',
  running: 'success',
  half_open: 'info',
  initializing: 'info',
  starting: 'info',
  cold: 'neutral',
};

/** The severity of a server or breaker state (`dead` failure, `degraded`/`open` warning, `ready`/`closed` success). */
export function severityOfState(state: string): Severity {
  return stateSeverity[state.toLowerCase()] ?? 'neutral';
}

const byType = new Map<string, Severity>();
const CACHE_LIMIT = 4096;

/**
 * Classifies an event type by the words of its name (CamelCase, `/`, `_`,
 * `.`, `-` separated, case-insensitive), so unknown types get a sensible color
 * too: a failure word wins over a warning word, which wins over a success
 * word. Cached per type name.
 */
export function severityOfType(eventType: string): Severity {
  let severity = byType.get(eventType);
  if (severity === undefined) {
    severity = classifyWords(splitWords(eventType));
    if (byType.size >= CACHE_LIMIT) byType.clear();
    byType.set(eventType, severity);
  }
  return severity;
}

/**
 * The severity of an event: by its type name first; a type whose name says
 * nothing (`McpServerStateChanged`, `CircuitBreakerStateChanged`) is
 * classified by its `new_state` (dead: failure; degraded, open: warning;
 * ready, closed: success; initializing, half_open: info).
 */
export function severityOf(event: HangarEvent): Severity {
  const byName = severityOfType(event.event_type);
  if (byName !== 'neutral') return byName;
  const state = event.new_state;
  return typeof state === 'string' ? severityOfState(state) : 'neutral';
}

/** The color function of a severity in a scheme. */
export function colorOfSeverity(colors: ColorScheme, severity: Severity): (text: string) => string {
  switch (severity) {
    case 'failure':
      return colors.failure;
    case 'warning':
      return colors.warning;
    case 'success':
      return colors.success;
    case 'info':
      return colors.info;
    case 'neutral':
      return colors.neutral;
  }
}

function classifyWords(words: readonly string[]): Severity {
  let warning = false;
  let success = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (failureWords.has(word)) return 'failure';
    // "TimedOut" splits into "timed" + "out".
    if (warningWords.has(word)) warning = true;
    else if (successWords.has(word)) success = true;
  }
  return warning ? 'warning' : success ? 'success' : 'neutral';
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
