import { identityContext } from './profiles.js';
import { formatIsoUtc } from '../../format/iso-utc.js';
import { hashArguments } from '../../protocol/approval-arguments.js';
import { exponential, pick, pickWeighted, randomUuid, saltUuid, uniform } from './prng.js';
import type { ApprovalOutcome, Call, FleetWorld, SimServer } from './model.js';
import { degradedMessage, startServer } from './lifecycle.js';
import { dispatch, failFast } from './tool-calls.js';

/**
 * The agents using the fleet: bursts of tool calls on a server separated by
 * quiet spells; a call to a cold server starts it; a call to a tool that
 * needs approval waits for a person first.
 */

/** How long an approval request stays open before it expires, ms (a gateway's default policy timeout). */
export const APPROVAL_TTL_MS = 300_000;

/** One tool call on `s`: a gated tool asks for approval first; then the Requested event, and the call waits for its server, runs or fails at once by the server's state. */
export function makeCall(w: FleetWorld, s: SimServer): void {
  const tool = pickWeighted(w.rng, s.profile.tools, (t) => t.weight);
  const args = tool.args(w.rng);
  const correlationId = randomUuid(w.idRng);
  const call: Call = { correlationId, tool, args, requestedAtMs: w.clockMs, identity: identityContext(w.rng, correlationId) };
  s.lastUsedMs = w.clockMs;
  // A gateway's approval gate holds the call before it is invoked: its ToolInvocationRequested comes only once granted.
  if (tool.needsApproval && w.approvals !== 'off') {
    requestApproval(w, s, call);
    return;
  }
  invoke(w, s, call);
}

/** The call is invoked: ToolInvocationRequested, then it goes on by the server's state. */
function invoke(w: FleetWorld, s: SimServer, call: Call): void {
  w.emit('ToolInvocationRequested', {
    mcp_server_id: s.id,
    tool_name: call.tool.name,
    correlation_id: call.correlationId,
    arguments: call.args,
    identity_context: call.identity,
  });
  call.requestedAtMs = w.clockMs;
  route(w, s, call);
}

/** Sends an invoked call on by the server's state. */
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

/**
 * ToolApprovalRequested (as a gateway's gate writes it: a UUID, the SHA-256
 * of the raw arguments, the expiry), then the wait: for a real decision
 * (`held`), or for the simulated approvers, who grant most (87%) within a
 * minute, deny some (10%) and let a few expire (3%).
 */
function requestApproval(w: FleetWorld, s: SimServer, call: Call): void {
  const approvalId = saltUuid(randomUuid(w.idRng), w.idSalt);
  const channel = pick(w.rng, ['slack', 'dashboard', 'email']);
  w.emit('ToolApprovalRequested', {
    approval_id: approvalId,
    mcp_server_id: s.id,
    tool_name: call.tool.name,
    arguments_hash: hashArguments(call.args),
    channel,
    expires_at: formatIsoUtc(w.clockMs + APPROVAL_TTL_MS),
    correlation_id: call.correlationId,
  });
  if (w.approvals === 'held') {
    w.held.set(approvalId, { s, call, channel });
    return;
  }
  const r = w.rng.next();
  const decider = pick(w.rng, ['user:ada', 'user:grace', 'user:linus']);
  if (r < 0.97) {
    const granted = r < 0.87;
    w.after(uniform(w.rng, 4_000, 60_000), () => {
      const reason = granted ? null : pick(w.rng, ['not during the release freeze', 'wrong repository', null]);
      settleApproval(w, s, call, approvalId, granted ? { state: 'approved', decidedBy: decider, decidedAtMs: w.clockMs } : { state: 'denied', decidedBy: decider, decidedAtMs: w.clockMs, reason });
    });
  } else {
    w.after(APPROVAL_TTL_MS, () => settleApproval(w, s, call, approvalId, { state: 'expired', expiredAtMs: w.clockMs }));
  }
}

/**
 * The decision event, and what becomes of the call: granted, it is invoked;
 * denied or expired, the gateway's batch executor refuses it before invoking
 * it (error type `approval_denied` or `approval_timeout`, returned to the
 * caller), so no ToolInvocation event follows.
 */
export function settleApproval(w: FleetWorld, s: SimServer, call: Call, approvalId: string, outcome: ApprovalOutcome): void {
  const base = { approval_id: approvalId, mcp_server_id: s.id, tool_name: call.tool.name };
  switch (outcome.state) {
    case 'approved':
      w.emit('ToolApprovalGranted', { ...base, decided_by: outcome.decidedBy, decided_at: formatIsoUtc(outcome.decidedAtMs) });
      invoke(w, s, call);
      return;
    case 'denied':
      w.emit('ToolApprovalDenied', { ...base, decided_by: outcome.decidedBy, decided_at: formatIsoUtc(outcome.decidedAtMs), reason: outcome.reason });
      return;
    case 'expired':
      w.emit('ToolApprovalExpired', { ...base, expired_at: formatIsoUtc(outcome.expiredAtMs) });
      return;
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
