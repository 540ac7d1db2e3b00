import { resultSize, type ToolProfile } from './profiles.js';
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

/** Decides how a call ends, and when. */
export function decide(w: FleetWorld, s: SimServer, tool: ToolProfile): { delayMs: number; outcome: Outcome } {
  const incident = w.inIncident(s);
  const latencyMs = logNormal(w.rng, tool.medianMs, tool.sigma) * (incident ? 3 : 1);
  // Some calls hang (a stuck upstream, a deadlocked server) and end at the timeout.
  if (latencyMs > tool.timeoutMs || chance(w.rng, incident ? 0.08 : 0.002)) {
    return { delayMs: tool.timeoutMs, outcome: { ok: false, errorType: 'TimeoutError', message: `tool call exceeded timeout of ${tool.timeoutMs / 1000}s` } };
  }
  const errorRate = incident ? Math.max(0.6, tool.errorRate) : tool.errorRate;
  if (chance(w.rng, errorRate)) {
    if (incident && chance(w.rng, 0.6)) {
      return { delayMs: latencyMs, outcome: { ok: false, errorType: 'TransportError', message: pick(w.rng, ['broken pipe on stdio transport', 'server closed the connection', 'read timed out waiting for response frame']) } };
    }
    const candidates = tool.errors.filter((e) => e.weight > 0);
    const error = candidates.length > 0 ? pickWeighted(w.rng, candidates, (e) => e.weight) : undefined;
    return {
      delayMs: latencyMs * uniform(w.rng, 0.2, 1),
      outcome: { ok: false, errorType: error?.type ?? 'ToolExecutionError', message: error?.message(w.rng) ?? 'tool raised an exception' },
    };
  }
  return { delayMs: latencyMs, outcome: { ok: true, resultBytes: resultSize(w.rng, tool.resultBytes) } };
}

/** Starts `call` on a ready server; its outcome is emitted when it is due. */
export function dispatch(w: FleetWorld, s: SimServer, call: Call): void {
  const { delayMs, outcome } = decide(w, s, call.tool);
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
