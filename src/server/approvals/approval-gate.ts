import { formatIsoUtc } from '../../format/iso-utc.js';
import type { Clock } from '../../io/clock.js';

/**
 * serve's approval gate: the held tool calls of the simulated fleet, as a
 * gateway's ApprovalGateService holds them (mcp-hangar `approvals/service.py`).
 * A hold waits until `resolve` decides it or its time runs out; either way its
 * owner is told once (`onDecided`) and the approval stays readable, in the
 * gateway's REST shape, until decided approvals beyond `maxDecided` are
 * forgotten (oldest first). Only `hold` creates approvals: events that are
 * published, piped in or replayed never do.
 */

export type ApprovalState = 'pending' | 'approved' | 'denied' | 'expired';
export const APPROVAL_STATES: readonly ApprovalState[] = ['pending', 'approved', 'denied', 'expired'];

/** How a hold ended, as its owner hears it. */
export type ApprovalDecision =
  | { readonly state: 'approved'; readonly decidedBy: string; readonly decidedAtMs: number }
  | { readonly state: 'denied'; readonly decidedBy: string; readonly decidedAtMs: number; readonly reason: string | null }
  | { readonly state: 'expired'; readonly expiredAtMs: number };

/** A gated call to hold. `arguments` are kept as given: redact them first (redact-arguments.ts). */
export interface HoldRequest {
  readonly approvalId: string;
  readonly providerId: string;
  readonly toolName: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  readonly channel: string;
  readonly correlationId: string;
  readonly requestedBy: string | null;
  readonly tenantId: string | null;
}

/** An approval as `GET /api/approvals` answers it (the gateway's ApprovalRequestDTO). */
export interface ApprovalView {
  approval_id: string;
  provider_id: string;
  tool_name: string;
  arguments: Readonly<Record<string, unknown>>;
  state: ApprovalState;
  channel: string;
  requested_at: string;
  expires_at: string;
  expires_in_seconds: number;
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
  requested_by: string | null;
  tenant_id: string | null;
}

/** What `resolve` did: the route turns it into 200, 404 or one of the two 409s. */
export type ResolveResult =
  | { readonly outcome: 'resolved'; readonly state: ApprovalState }
  | { readonly outcome: 'not_found' }
  | { readonly outcome: 'already_resolved'; readonly state: ApprovalState }
  | { readonly outcome: 'expired'; readonly state: 'expired' };

/** What the gate needs of the injected clock: wall time, and one-shot timers (tests step a fake one). */
export type ApprovalClock = Pick<Clock, 'now' | 'setTimeout'>;

export interface ApprovalGateSettings {
  /** How long a hold waits for a decision, ms (serve's --approval-timeout). */
  readonly timeoutMs: number;
  readonly clock: ApprovalClock;
  /** Decided approvals kept for GET (oldest forgotten first); default 1000. */
  readonly maxDecided?: number;
  /** Pending approvals held at most; beyond it the oldest expires early. Default 10000. */
  readonly maxPending?: number;
  /** Told when a hold had to expire early because the gate was full. */
  readonly onFull?: (pending: number) => void;
}

interface Entry {
  readonly request: HoldRequest;
  readonly requestedAtMs: number;
  readonly expiresAtMs: number;
  state: ApprovalState;
  decidedBy: string | null;
  decidedAtMs: number | null;
  reason: string | null;
  timer: { cancel(): void } | undefined;
  onDecided: ((decision: ApprovalDecision) => void) | undefined;
}

export const DEFAULT_APPROVAL_TIMEOUT_MS = 300_000;
export const DEFAULT_MAX_DECIDED_APPROVALS = 1000;
export const DEFAULT_MAX_PENDING_APPROVALS = 10_000;

export class ApprovalGate {
  readonly timeoutMs: number;
  private readonly clock: ApprovalClock;
  private readonly maxDecided: number;
  private readonly maxPending: number;
  private readonly onFull: ((pending: number) => void) | undefined;
  /** Every approval kept, in the order requested. */
  private readonly entries = new Map<string, Entry>();
  /** Pending approval ids, oldest first (a Set keeps insertion order). */
  private readonly pending = new Set<string>();
  /** Decided approval ids, in the order decided. */
  private readonly decided = new Set<string>();
  private closed = false;

  constructor(settings: ApprovalGateSettings) {
    if (!(settings.timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${settings.timeoutMs}`);
    this.timeoutMs = settings.timeoutMs;
    this.clock = settings.clock;
    this.maxDecided = settings.maxDecided ?? DEFAULT_MAX_DECIDED_APPROVALS;
    this.maxPending = settings.maxPending ?? DEFAULT_MAX_PENDING_APPROVALS;
    this.onFull = settings.onFull;
  }

  /** Approvals waiting for a decision. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Approvals kept in all (pending and decided). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Holds a gated call from now until it is decided or `timeoutMs` runs out;
   * `onDecided` is called exactly once (not at all if the gate is closed first).
   * Returns when the hold expires. An id already held is a bug of the caller.
   */
  hold(request: HoldRequest, onDecided: (decision: ApprovalDecision) => void): { readonly expiresAtMs: number } {
    if (this.entries.has(request.approvalId)) throw new Error(`approval ${request.approvalId} is already held`);
    if (this.pending.size >= this.maxPending) {
      const oldest = this.pending.values().next().value as string;
      this.expire(this.entries.get(oldest)!, this.clock.now());
      this.onFull?.(this.maxPending);
    }
    const now = this.clock.now();
    const entry: Entry = {
      request,
      requestedAtMs: now,
      expiresAtMs: now + this.timeoutMs,
      state: 'pending',
      decidedBy: null,
      decidedAtMs: null,
      reason: null,
      timer: undefined,
      onDecided,
    };
    this.entries.set(request.approvalId, entry);
    this.pending.add(request.approvalId);
    if (!this.closed) entry.timer = this.clock.setTimeout(() => this.expireWhenDue(entry), this.timeoutMs);
    return { expiresAtMs: entry.expiresAtMs };
  }

  /** Approvals in `state` (of `providerId` when given and not empty), newest first. */
  list(state: ApprovalState, providerId?: string): ApprovalView[] {
    const now = this.clock.now();
    const out: ApprovalView[] = [];
    for (const entry of this.entries.values()) {
      if (entry.state !== state) continue;
      if (providerId && entry.request.providerId !== providerId) continue;
      out.push(viewOf(entry, now));
    }
    return out.reverse();
  }

  /** One approval, or undefined when it never existed or has been forgotten. */
  get(approvalId: string): ApprovalView | undefined {
    const entry = this.entries.get(approvalId);
    return entry === undefined ? undefined : viewOf(entry, this.clock.now());
  }

  /**
   * Decides a pending approval as `decidedBy`. A pending approval whose time
   * has run out (its timer not yet run) expires now and answers `expired`, as
   * the gateway's resolve handler does.
   */
  resolve(approvalId: string, approve: boolean, decidedBy: string, reason: string | null): ResolveResult {
    const entry = this.entries.get(approvalId);
    if (entry === undefined) return { outcome: 'not_found' };
    if (entry.state !== 'pending') return { outcome: 'already_resolved', state: entry.state };
    const now = this.clock.now();
    if (now >= entry.expiresAtMs) {
      this.expire(entry, now);
      return { outcome: 'expired', state: 'expired' };
    }
    const decision: ApprovalDecision = approve
      ? { state: 'approved', decidedBy, decidedAtMs: now }
      : { state: 'denied', decidedBy, decidedAtMs: now, reason };
    entry.decidedBy = decidedBy;
    entry.reason = approve ? null : reason;
    this.finish(entry, decision, now);
    return { outcome: 'resolved', state: entry.state };
  }

  /** Stops every timer; pending approvals stay pending and nobody is told (the server is going away). */
  close(): void {
    this.closed = true;
    for (const id of this.pending) {
      const entry = this.entries.get(id)!;
      entry.timer?.cancel();
      entry.timer = undefined;
      entry.onDecided = undefined;
    }
  }

  /**
   * The hold's timer ran: it expires now, unless the wall clock has not yet
   * reached its expires_at (a timer can run a millisecond early: Node's
   * timers count on the event loop's cached, coarser time), then it waits
   * for the rest, so an approval never expires before its expires_at.
   */
  private expireWhenDue(entry: Entry): void {
    entry.timer = undefined;
    const now = this.clock.now();
    if (now < entry.expiresAtMs && entry.state === 'pending' && !this.closed) {
      entry.timer = this.clock.setTimeout(() => this.expireWhenDue(entry), entry.expiresAtMs - now);
      return;
    }
    this.expire(entry, now);
  }

  private expire(entry: Entry, now: number): void {
    if (entry.state !== 'pending') return;
    this.finish(entry, { state: 'expired', expiredAtMs: now }, now);
  }

  private finish(entry: Entry, decision: ApprovalDecision, now: number): void {
    entry.state = decision.state;
    entry.decidedAtMs = now;
    entry.timer?.cancel();
    entry.timer = undefined;
    const id = entry.request.approvalId;
    this.pending.delete(id);
    this.decided.add(id);
    while (this.decided.size > this.maxDecided) {
      const oldest = this.decided.values().next().value as string;
      this.decided.delete(oldest);
      this.entries.delete(oldest);
    }
    const onDecided = entry.onDecided;
    entry.onDecided = undefined;
    onDecided?.(decision);
  }
}

function viewOf(entry: Entry, now: number): ApprovalView {
  const r = entry.request;
  return {
    approval_id: r.approvalId,
    provider_id: r.providerId,
    tool_name: r.toolName,
    arguments: r.arguments,
    state: entry.state,
    channel: r.channel,
    requested_at: formatIsoUtc(entry.requestedAtMs),
    expires_at: formatIsoUtc(entry.expiresAtMs),
    // The gateway truncates toward zero and never goes below 0.
    expires_in_seconds: Math.max(0, Math.trunc((entry.expiresAtMs - now) / 1000)),
    decided_by: entry.decidedBy,
    decided_at: entry.decidedAtMs === null ? null : formatIsoUtc(entry.decidedAtMs),
    reason: entry.reason,
    requested_by: r.requestedBy,
    tenant_id: r.tenantId,
  };
}
