import { identityContext } from './profiles.js';
import { exponential, pick, pickWeighted, randomHex, randomUuid, uniform } from './prng.js';
import type { Call, FleetWorld, SimServer } from './model.js';
import { degradedMessage, startServer } from './lifecycle.js';
import { dispatch, emitResult, failFast } from './tool-calls.js';

/**
 * The agents using the fleet: bursts of tool calls on a server separated by
 * quiet spells; a call to a cold server starts it; a call to a tool that
 * needs approval waits for a person first.
 */

/** How long an approval request stays open before it expires, ms. */
export const APPROVAL_TTL_MS = 120_000;

/** One tool call on `s`: the Requested event, then the call waits (approval, startup), runs or fails at once by the server's state. */
export function makeCall(w: FleetWorld, s: SimServer): void {
  const tool = pickWeighted(w.rng, s.profile.tools, (t) => t.weight);
  const args = tool.args(w.rng);
  const call: Call = { correlationId: randomUuid(w.idRng), tool, args, requestedAtMs: w.clockMs, identity: identityContext(w.rng) };
  w.emit('ToolInvocationRequested', {
    mcp_server_id: s.id,
    tool_name: tool.name,
    correlation_id: call.correlationId,
    arguments: args,
    identity_context: call.identity,
  });
  call.requestedAtMs = w.clockMs;
  s.lastUsedMs = w.clockMs;
  if (tool.needsApproval) {
    requestApproval(w, s, call);
    return;
  }
  route(w, s, call);
}

/** Sends an approved (or approval-free) call on by the server's state. */
function route(w: FleetWorld, s: SimServer, call: Call): void {
  if (s.breaker === 'open') {
    failFast(w, s, call, 'McpServerDegradedError', degradedMessage(w));
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
      failFast(w, s, call, 'McpServerDegradedError', degradedMessage(w));
      return;
    case 'dead':
      failFast(w, s, call, 'McpServerNotReadyError', 'McpServer is not ready (state=dead)');
      return;
  }
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

/** ToolApprovalRequested; a person grants most (87%) within a minute, denies some (10%), lets a few expire (3%). */
function requestApproval(w: FleetWorld, s: SimServer, call: Call): void {
  const approvalId = `apr_${randomHex(w.rng, 12)}`;
  w.emit('ToolApprovalRequested', {
    approval_id: approvalId,
    mcp_server_id: s.id,
    tool_name: call.tool.name,
    arguments_hash: `sha256:${randomHex(w.rng, 16)}`,
    channel: pick(w.rng, ['slack', 'dashboard', 'email']),
    expires_at: isoOf(w.clockMs + APPROVAL_TTL_MS),
    correlation_id: call.correlationId,
  });
  const r = w.rng.next();
  const decider = pick(w.rng, ['user:ada', 'user:grace', 'user:linus']);
  if (r < 0.97) {
    const granted = r < 0.87;
    w.after(uniform(w.rng, 4_000, 60_000), () => {
      const fields = { approval_id: approvalId, mcp_server_id: s.id, tool_name: call.tool.name, decided_by: decider, decided_at: isoOf(w.clockMs) };
      if (granted) {
        w.emit('ToolApprovalGranted', fields);
        route(w, s, call);
      } else {
        w.emit('ToolApprovalDenied', { ...fields, reason: pick(w.rng, ['not during the release freeze', 'wrong repository', null]) });
        emitResult(w, s, call, { ok: false, errorType: 'EgressPolicyApprovalRequiredError', message: 'Tool call requires approval' });
      }
    });
  } else {
    w.after(APPROVAL_TTL_MS, () => {
      w.emit('ToolApprovalExpired', { approval_id: approvalId, mcp_server_id: s.id, tool_name: call.tool.name, expired_at: isoOf(w.clockMs) });
      emitResult(w, s, call, { ok: false, errorType: 'EgressPolicyApprovalRequiredError', message: 'Tool call requires approval' });
    });
  }
}

/** Agents use a server in bursts separated by quiet spells. */
export function startBurst(w: FleetWorld, s: SimServer): void {
  s.activeUntilMs = w.clockMs + exponential(w.rng, s.profile.activeMeanS * 1000);
  scheduleCall(w, s);
}

export function scheduleCall(w: FleetWorld, s: SimServer): void {
  const gapMs = exponential(w.rng, 1000 / (s.profile.activeCallsPerSec * w.callRate));
  if (w.clockMs + gapMs > s.activeUntilMs) {
    w.after(s.activeUntilMs - w.clockMs + exponential(w.rng, s.profile.quietMeanS * 1000), () => startBurst(w, s));
    return;
  }
  w.after(gapMs, () => {
    if (s.registered) makeCall(w, s);
    scheduleCall(w, s);
  });
}
