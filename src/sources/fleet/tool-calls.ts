import { resultSize, timeoutMessage } from './profiles.js';
import { chance, logNormal, pick, pickWeighted, uniform } from './prng.js';
import { BREAKER_OPEN_AFTER, round, setBreaker, type Call, type FleetWorld, type Outcome, type SimServer } from './model.js';

/**
 * How the fleet's tool calls end: latency, timeouts, errors (more of them
 * during an incident), the Completed/Failed events, and the circuit breaker
 * they feed.
 */

/** Emits the Completed or Failed event that ends `call`. */
export function emitResult(w: FleetWorld, s: SimServer, call: Call, outcome: Outcome): void {
  const durationMs = round(w.clockMs - call.requestedAtMs, 3);
  if (outcome.ok) {
    w.emit('ToolInvocationCompleted', {
      mcp_server_id: s.id,
      tool_name: call.tool.name,
      correlation_id: call.correlationId,
      duration_ms: durationMs,
      result_size_bytes: outcome.resultBytes,
      identity_context: call.identity,
    });
  } else {
    w.emit('ToolInvocationFailed', {
      mcp_server_id: s.id,
      tool_name: call.tool.name,
      correlation_id: call.correlationId,
      duration_ms: durationMs,
      error_message: outcome.message,
      error_type: outcome.errorType,
      identity_context: call.identity,
    });
  }
}

/** Fails `call` at once (breaker open, server degraded or dead). */
export function failFast(w: FleetWorld, s: SimServer, call: Call, errorType: string, message: string): void {
  w.clockMs += uniform(w.rng, 0.1, 0.8);
  emitResult(w, s, call, { ok: false, errorType, message });
}

/** Fails every call of `calls` (a crash, a stop, a failed start). */
export function failAll(w: FleetWorld, s: SimServer, calls: Iterable<Call>, errorType: string, message: string): void {
  for (const call of [...calls]) emitResult(w, s, call, { ok: false, errorType, message });
}

/** Decides how a call ends, and when: its arguments first (`divide` by zero fails), then latency, timeouts and errors. */
export function decide(w: FleetWorld, s: SimServer, call: Call): { delayMs: number; outcome: Outcome } {
  const tool = call.tool;
  const incident = w.inIncident(s);
  const latencyMs = logNormal(w.rng, tool.medianMs, tool.sigma) * (incident ? 3 : 1);
  const fixed = tool.failFor?.(call.args);
  if (fixed !== undefined) return { delayMs: latencyMs * uniform(w.rng, 0.5, 1), outcome: { ok: false, errorType: fixed.type, message: fixed.message } };
  // Some calls hang (a stuck upstream, a deadlocked server) and end at the timeout.
  if (latencyMs > tool.timeoutMs || chance(w.rng, incident ? 0.08 : 0.001)) {
    return { delayMs: tool.timeoutMs, outcome: { ok: false, errorType: 'ToolTimeoutError', message: timeoutMessage(tool.timeoutMs) } };
  }
  if (incident && chance(w.rng, 0.6)) {
    const failure = pick(w.rng, [
      { type: 'ClientError', message: 'Broken pipe: the stdio transport closed' },
      { type: 'ClientError', message: 'Server closed the connection' },
      { type: '-32000', message: 'Server error: upstream unavailable' },
      { type: '-32603', message: 'Internal error' },
    ]);
    return { delayMs: latencyMs, outcome: { ok: false, errorType: failure.type, message: failure.message } };
  }
  if (chance(w.rng, tool.errorRate)) {
    const error = pickWeighted(w.rng, tool.errors, (e) => e.weight);
    return { delayMs: latencyMs * uniform(w.rng, 0.2, 1), outcome: { ok: false, errorType: error.type, message: error.message(w.rng) } };
  }
  return { delayMs: latencyMs, outcome: { ok: true, resultBytes: resultSize(w.rng, tool.resultBytes) } };
}

/** Starts `call` on a ready server; its outcome is emitted when it is due. */
export function dispatch(w: FleetWorld, s: SimServer, call: Call): void {
  const { delayMs, outcome } = decide(w, s, call);
  s.inflight.set(call.correlationId, call);
  w.after(delayMs, () => {
    if (!s.inflight.delete(call.correlationId)) return; // already failed by a crash or stop
    s.lastUsedMs = w.clockMs;
    emitResult(w, s, call, outcome);
    recordForBreaker(w, s, outcome.ok);
  });
}

/** Counts the outcome for the breaker: a run of failures opens it, a success in half_open closes it. */
export function recordForBreaker(w: FleetWorld, s: SimServer, ok: boolean): void {
  if (ok) {
    if (s.breaker === 'half_open') setBreaker(w, s, 'closed');
    s.breakerFailures = 0;
    return;
  }
  s.breakerFailures++;
  if (s.breaker === 'half_open') setBreaker(w, s, 'open');
  else if (s.breaker === 'closed' && s.breakerFailures >= BREAKER_OPEN_AFTER) setBreaker(w, s, 'open');
}
