import { identityContext } from './profiles.js';
import { exponential, pickWeighted, randomUuid } from './prng.js';
import type { Call, FleetWorld, SimServer } from './model.js';
import { startServer } from './lifecycle.js';
import { dispatch, failFast } from './tool-calls.js';

/**
 * The agents using the fleet: bursts of tool calls on a server separated by
 * quiet spells; a call to a cold server starts it.
 */

/** One tool call on `s`: the Requested event, then the call waits, runs or fails at once by the server's state. */
export function makeCall(w: FleetWorld, s: SimServer): void {
  const tool = pickWeighted(w.rng, s.profile.tools, (t) => t.weight);
  const call: Call = { correlationId: randomUuid(w.idRng), tool, requestedAtMs: w.clockMs, identity: identityContext(w.rng) };
  w.emit('ToolInvocationRequested', {
    mcp_server_id: s.id,
    tool_name: tool.name,
    correlation_id: call.correlationId,
    arguments: tool.args(w.rng),
    identity_context: call.identity,
  });
  call.requestedAtMs = w.clockMs;
  s.lastUsedMs = w.clockMs;
  if (s.breaker === 'open') {
    failFast(w, s, call, 'CircuitOpenError', `circuit breaker for ${s.id} is open; failing fast`);
    return;
  }
  switch (s.state) {
    case 'cold':
      s.pending.push(call);
      startServer(w, s);
      return;
    case 'initializing':
      s.pending.push(call);
      return;
    case 'ready':
      dispatch(w, s, call);
      return;
    case 'degraded':
      failFast(w, s, call, 'ProviderDegradedError', `mcp server ${s.id} is degraded; call rejected`);
      return;
    case 'dead':
      failFast(w, s, call, 'McpServerUnavailableError', `mcp server ${s.id} is dead; restart pending`);
      return;
  }
}

/** Agents use a server in bursts separated by quiet spells. */
export function startBurst(w: FleetWorld, s: SimServer): void {
  s.activeUntilMs = w.clockMs + exponential(w.rng, s.profile.activeMeanS * 1000);
  scheduleCall(w, s);
}

export function scheduleCall(w: FleetWorld, s: SimServer): void {
  const gapMs = exponential(w.rng, 1000 / s.profile.activeCallsPerSec);
  if (w.clockMs + gapMs > s.activeUntilMs) {
    w.after(s.activeUntilMs - w.clockMs + exponential(w.rng, s.profile.quietMeanS * 1000), () => startBurst(w, s));
    return;
  }
  w.after(gapMs, () => {
    if (s.registered) makeCall(w, s);
    scheduleCall(w, s);
  });
}
