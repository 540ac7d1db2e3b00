import type { HangarEvent } from '../../protocol/types.js';
import type { ServerProfile, ToolProfile } from './profiles.js';
import { randomUuid, saltUuid, uniform, type Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';

/**
 * The model of a simulated MCP Hangar fleet: servers that start, serve tool calls, fail
 * health checks, trip circuit breakers, go idle and get discovered, emitting
 * the events a real gateway emits (PROTOCOL.md field shapes). Pure and
 * deterministic: it runs on its own simulated clock and a seeded generator,
 * so the same seed yields the same events, ids and timestamps.
 */

export type ServerState = 'cold' | 'initializing' | 'ready' | 'degraded' | 'dead';
export type BreakerState = 'closed' | 'open' | 'half_open';

/** The server state machine of PROTOCOL.md: allowed `new_state`s per `old_state`. */
export const SERVER_TRANSITIONS: Readonly<Record<ServerState, readonly ServerState[]>> = {
  cold: ['initializing'],
  initializing: ['ready', 'dead', 'degraded'],
  ready: ['cold', 'dead', 'degraded'],
  degraded: ['initializing', 'cold'],
  dead: ['initializing', 'degraded'],
};

/** The circuit breaker state machine: closed -> open -> half_open -> closed | open. */
export const BREAKER_TRANSITIONS: Readonly<Record<BreakerState, readonly BreakerState[]>> = {
  closed: ['open'],
  open: ['half_open'],
  half_open: ['closed', 'open'],
};

/** A simulated fleet as a stream of events in simulated time (createFleetSimulator). */
export interface FleetSimulator {
  /** Returns the next event in simulated time and advances the simulated clock to it. */
  next(): HangarEvent;
  /** Simulated time of the event last returned by `next()` (`startMs` before the first), ms. */
  readonly nowMs: number;
  /** Simulated time of the event the next `next()` returns, ms (>= nowMs). */
  peekNextAtMs(): number;
  /** The seed in use (the drawn one when none was given). */
  readonly seed: number;
  readonly producedBy: string;
  /** Server ids of the fleet, in order. */
  readonly serverIds: readonly string[];
  /** The scripted incidents so far (simulated time). */
  readonly incidents: readonly Incident[];
  /**
   * A call held for approval (`approvals: 'held'`) by the id of its
   * ToolApprovalRequested: what the gate keeps of it. Undefined once decided.
   */
  heldApproval(approvalId: string): HeldApproval | undefined;
  /**
   * Ends a held call's wait: the Granted, Denied or Expired event and what
   * follows at once (a granted call's ToolInvocationRequested; its result is
   * scheduled as any call's). Returns those events, for the caller to publish
   * now; an id not held returns none.
   */
  decideApproval(approvalId: string, decision: ApprovalOutcome): HangarEvent[];
}

/**
 * Who decides the calls of tools that need approval: `simulated` approvers
 * (most granted within a minute, some denied, a few expire: the default, and
 * reproducible), a real gate (`held`: the call waits for decideApproval), or
 * nobody (`off`: a gateway without an approval gate runs such calls at once).
 */
export type ApprovalMode = 'simulated' | 'held' | 'off';

/** How a held approval ended (times are wall-clock ms of the gate). */
export type ApprovalOutcome =
  | { readonly state: 'approved'; readonly decidedBy: string; readonly decidedAtMs: number }
  | { readonly state: 'denied'; readonly decidedBy: string; readonly decidedAtMs: number; readonly reason: string | null }
  | { readonly state: 'expired'; readonly expiredAtMs: number };

/** What the gate keeps of a held call. */
export interface HeldApproval {
  readonly serverId: string;
  readonly toolName: string;
  /** As the agent sent them (not redacted). */
  readonly arguments: Readonly<Record<string, unknown>>;
  readonly channel: string;
  readonly correlationId: string;
  /** The caller's principal, when the call carries an identity. */
  readonly requestedBy: string | null;
}

/** Timing of the fleet, simulated milliseconds. */
export const HEALTH_INTERVAL_MS = 10_000;
export const IDLE_AFTER_MS = 60_000;
export const DISCOVERY_INTERVAL_MS = 30_000;
export const FIRST_DISCOVERY_MS = 1_500;
export const BREAKER_OPEN_AFTER = 5;
export const BREAKER_RESET_MS = 30_000;
export const DEGRADE_AFTER_HEALTH_FAILURES = 3;
export const GIVE_UP_AFTER_HEALTH_FAILURES = 6;
/** The first scripted incident starts this long after boot (range), then one follows every few minutes. */
export const FIRST_INCIDENT_MS: readonly [number, number] = [60_000, 90_000];
export const INCIDENT_GAP_MS: readonly [number, number] = [180_000, 300_000];
export const INCIDENT_LENGTH_MS: readonly [number, number] = [45_000, 70_000];

/**
 * Which gateway the fleet looks like: `current` writes what a current gateway
 * writes; `legacy` is a gateway from before the 2026-04 rename (`Provider*`
 * type names, `provider_id` / `provider_name` instead of `mcp_server_id` /
 * `mcp_server_name`).
 */
export type SimulatorProfile = 'current' | 'legacy';
export const SIMULATOR_PROFILES: readonly SimulatorProfile[] = ['current', 'legacy'];

/** One scripted incident: a server degrades, its breaker opens, it recovers. */
export interface Incident {
  readonly serverId: string;
  readonly fromMs: number;
  readonly untilMs: number;
}

/** A tool call in flight (or waiting for its server to start). */
export interface Call {
  correlationId: string;
  tool: ToolProfile;
  args: Record<string, unknown>;
  requestedAtMs: number;
  identity: Record<string, unknown> | null;
}

/** One simulated MCP server: its profile and its state in the fleet. */
export interface SimServer {
  readonly profile: ServerProfile;
  readonly id: string;
  registered: boolean;
  /** Not rediscovered before this time after being lost. */
  lostUntilMs: number;
  state: ServerState;
  breaker: BreakerState;
  breakerFailures: number;
  breakerGeneration: number;
  healthFailures: number;
  totalFailures: number;
  incidentUntilMs: number;
  lastUsedMs: number;
  /** Bumped on every start attempt and crash, so stale scheduled outcomes are ignored. */
  generation: number;
  readonly inflight: Map<string, Call>;
  pending: Call[];
  activeUntilMs: number;
}

/** How a tool call ends. */
export type Outcome = { ok: true; resultBytes: number } | { ok: false; errorType: string; message: string };

/** Rounds `n` to `digits` decimals (event fields carry a realistic precision). */
export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/**
 * The world the fleet's parts act on: the seeded generators, the simulated
 * clock, the schedule of future actions and the events emitted but not yet
 * returned. The lifecycle, tool-call and discovery modules change it; the
 * simulator (simulator.ts) drives it.
 */
export class FleetWorld {
  /** Simulated time of the action being run, ms since the epoch. */
  clockMs: number;
  /** Events emitted by the current action so far (the first is not shifted in time). */
  emittedInAction = 0;
  /** Emitted events; `outHead` is the next one to return. */
  readonly outbox: HangarEvent[] = [];
  outHead = 0;
  /** Multiplies every server's call rate (`--rate` changes the volume, not the pace of lifecycle events). */
  callRate = 1;
  /** Who decides gated calls (see ApprovalMode). */
  approvals: ApprovalMode = 'simulated';
  /** Calls waiting for a real decision (`held` mode), by approval id. */
  readonly held = new Map<string, { readonly s: SimServer; readonly call: Call; readonly channel: string }>();
  /** While set, emitted events go here instead of the outbox (capture). */
  private captured: HangarEvent[] | undefined;
  readonly incidents: Incident[] = [];

  constructor(
    readonly rng: Prng,
    readonly idRng: Prng,
    readonly scheduler: Scheduler,
    readonly producedBy: string,
    readonly servers: readonly SimServer[],
    startMs: number,
    /** See FleetSimulatorOptions.idSalt. */
    readonly idSalt = 0,
    readonly profile: SimulatorProfile = 'current',
  ) {
    this.clockMs = startMs;
  }

  /** Schedules `run` `delayMs` simulated ms from now. */
  after(delayMs: number, run: () => void): void {
    this.scheduler.at(this.clockMs + delayMs, run);
  }

  inIncident(s: SimServer): boolean {
    return this.clockMs < s.incidentUntilMs;
  }

  emit(eventType: string, fields: Record<string, unknown>): void {
    // Events of one action are a few microseconds apart, so occurred_at is strictly increasing.
    if (this.emittedInAction > 0) this.clockMs += uniform(this.rng, 0.02, 0.4);
    this.emittedInAction++;
    const legacy = this.profile === 'legacy';
    const event: HangarEvent = {
      event_type: legacy ? eventType.replace(/^McpServer/, 'Provider') : eventType,
      event_id: saltUuid(randomUuid(this.idRng), this.idSalt),
      occurred_at: round(this.clockMs / 1000, 6),
      produced_by: this.producedBy,
    };
    for (const key in fields) {
      const name = legacy ? (key === 'mcp_server_id' ? 'provider_id' : key === 'mcp_server_name' ? 'provider_name' : key) : key;
      event[name] = fields[key];
    }
    (this.captured ?? this.outbox).push(event);
  }

  /** Runs `run` outside the schedule and returns the events it emitted (not queued in the outbox). */
  capture(run: () => void): HangarEvent[] {
    const events: HangarEvent[] = [];
    this.captured = events;
    this.emittedInAction = 0;
    try {
      run();
    } finally {
      this.captured = undefined;
    }
    return events;
  }
}

/** Moves `s` to `to` along SERVER_TRANSITIONS and emits the state change. */
export function transition(w: FleetWorld, s: SimServer, to: ServerState): void {
  const from = s.state;
  if (!SERVER_TRANSITIONS[from].includes(to)) {
    throw new Error(`simulator bug: invalid transition ${from} -> ${to} for ${s.id}`);
  }
  s.state = to;
  w.emit('McpServerStateChanged', { mcp_server_id: s.id, old_state: from, new_state: to });
}

/** Moves `s`'s breaker along BREAKER_TRANSITIONS; an open breaker half-opens after BREAKER_RESET_MS. */
export function setBreaker(w: FleetWorld, s: SimServer, to: BreakerState): void {
  const from = s.breaker;
  if (!BREAKER_TRANSITIONS[from].includes(to)) {
    throw new Error(`simulator bug: invalid breaker transition ${from} -> ${to} for ${s.id}`);
  }
  s.breaker = to;
  s.breakerGeneration++;
  w.emit('CircuitBreakerStateChanged', { mcp_server_id: s.id, old_state: from, new_state: to });
  if (to === 'open') {
    const generation = s.breakerGeneration;
    w.after(BREAKER_RESET_MS * uniform(w.rng, 0.9, 1.1), () => {
      if (s.breakerGeneration === generation && s.breaker === 'open') setBreaker(w, s, 'half_open');
    });
  }
  if (to === 'closed') s.breakerFailures = 0;
}
