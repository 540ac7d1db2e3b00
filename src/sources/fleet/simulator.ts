import { randomBytes } from 'node:crypto';
// A yield between batches (not a wait on time: it lets the server write to its sockets), so Node's own.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Clock, Timer } from '../../io/clock.js';
import type { EventSink } from '../../server/event-sink.js';
import type { EventSource, SourceLog } from '../event-source.js';
import { startBurst } from './agents.js';
import { discoveryCycle } from './discovery.js';
import { healthTick, scheduleIncident, startServer } from './lifecycle.js';
import { createMaxRateGenerator } from './max-rate.js';
import {
  FIRST_DISCOVERY_MS,
  FIRST_INCIDENT_MS,
  FleetWorld,
  HEALTH_INTERVAL_MS,
  type ApprovalMode,
  type ApprovalOutcome,
  type FleetSimulator,
  type SimServer,
  type SimulatorProfile,
} from './model.js';
import { settleApproval } from './agents.js';
import { redactArguments } from '../../protocol/approval-arguments.js';
import { formatIsoUtc } from '../../format/iso-utc.js';
import type { HangarEvent } from '../../protocol/types.js';
import { fleetProfiles } from './profiles.js';
import { createPrng, deriveSeed, randomHex, uniform } from './prng.js';
import { Scheduler } from './scheduler.js';
import { scheduleSecurityEvent } from './security.js';


/**
 * The simulated fleet as a stream of events (createFleetSimulator: the model
 * of model.ts driven by its schedule) and as serve's `--demo` source
 * (createSimulatorSource: paced in real time, or at max rate through
 * max-rate.ts). Deterministic: the same seed yields the same events.
 */

export interface FleetSimulatorOptions {
  /** Number of MCP servers (>= 1): math, fetch, github, filesystem, postgres, then slack, sqlite, ... */
  servers: number;
  /** Seed of the generator; omitted = a random seed (see `seed` on the result). */
  seed?: number;
  /** `produced_by` of every event; default `hangar-<4 hex>` drawn from the seed. */
  producedBy?: string;
  /** Simulated time of the first event, ms since the epoch. */
  startMs: number;
  /**
   * Mixed into the event-id generator only (default 0: ids follow the seed).
   * serve passes a random one, so two runs with the same --seed never share
   * an event id (a client resuming "after" an id must not find it in a new run).
   */
  idSalt?: number;
  /** `current` (default): what a current gateway writes; `legacy`: a pre-rename gateway (Provider* names, provider_id). */
  profile?: SimulatorProfile;
  /** Multiplies every server's tool-call rate (default 1); lifecycle, health and discovery keep their pace. */
  callRate?: number;
  /** Who decides gated calls (default `simulated`: reproducible approvers; see ApprovalMode). */
  approvals?: ApprovalMode;
}

/** Creates a deterministic simulated fleet. */
export function createFleetSimulator(options: FleetSimulatorOptions): FleetSimulator {
  if (!Number.isInteger(options.servers) || options.servers < 1) {
    throw new RangeError(`servers must be a whole number >= 1, got ${options.servers}`);
  }
  const seed = (options.seed ?? randomBytes(4).readUInt32LE(0)) >>> 0;
  const rng = createPrng(deriveSeed(seed, 'fleet'));
  const idRng = createPrng(deriveSeed(seed, 'ids'));
  const producedBy = options.producedBy ?? `hangar-${randomHex(createPrng(deriveSeed(seed, 'producer')), 4)}`;
  const scheduler = new Scheduler();
  let lastReturnedMs = options.startMs;

  const servers: SimServer[] = fleetProfiles(options.servers).map((profile) => ({
    profile,
    id: profile.name,
    registered: false,
    lostUntilMs: 0,
    state: 'cold',
    breaker: 'closed',
    breakerFailures: 0,
    breakerGeneration: 0,
    healthFailures: 0,
    totalFailures: 0,
    incidentUntilMs: 0,
    lastUsedMs: options.startMs,
    generation: 0,
    inflight: new Map(),
    pending: [],
    activeUntilMs: 0,
  }));
  const w = new FleetWorld(rng, idRng, scheduler, producedBy, servers, options.startMs, (options.idSalt ?? 0) >>> 0, options.profile ?? 'current');
  const callRate = options.callRate ?? 1;
  if (!(callRate > 0 && Number.isFinite(callRate))) throw new RangeError(`callRate must be a positive number, got ${callRate}`);
  w.callRate = callRate;
  w.approvals = options.approvals ?? 'simulated';

  // The fleet boots: config servers register, the first two are preloaded,
  // discovery runs shortly after and finds the rest.
  scheduler.at(options.startMs, () => {
    for (const s of servers) {
      if (s.profile.origin !== 'config') continue;
      w.emit('McpServerRegistered', { mcp_server_id: s.id, source: 'config', mode: s.profile.mode });
      s.registered = true;
    }
  });
  servers.forEach((s, i) => {
    if (s.profile.origin === 'config' && i < 2) scheduler.at(options.startMs + 40 + i * 25, () => startServer(w, s));
    scheduler.at(options.startMs + 500 + uniform(rng, 0, HEALTH_INTERVAL_MS), () => healthTick(w, s));
    scheduler.at(options.startMs + uniform(rng, 200, 3_000), () => startBurst(w, s));
  });
  scheduler.at(options.startMs + FIRST_DISCOVERY_MS, () => discoveryCycle(w));
  scheduler.at(options.startMs, () => {
    scheduleIncident(w, uniform(rng, FIRST_INCIDENT_MS[0], FIRST_INCIDENT_MS[1]));
    scheduleSecurityEvent(w);
  });

  /** Runs scheduled actions until at least one event is waiting. */
  function fill(): void {
    const outbox = w.outbox;
    while (w.outHead >= outbox.length) {
      if (w.outHead > 0) {
        outbox.length = 0;
        w.outHead = 0;
      }
      const action = scheduler.pop();
      if (!action) throw new Error('simulator bug: nothing scheduled');
      w.clockMs = Math.max(w.clockMs, action.atMs);
      w.emittedInAction = 0;
      action.run();
    }
  }

  return {
    next() {
      fill();
      const event = w.outbox[w.outHead++]!;
      lastReturnedMs = (event.occurred_at as number) * 1000;
      return event;
    },
    get nowMs() {
      return lastReturnedMs;
    },
    peekNextAtMs() {
      fill();
      return (w.outbox[w.outHead]!.occurred_at as number) * 1000;
    },
    seed,
    producedBy,
    serverIds: servers.map((s) => s.id),
    incidents: w.incidents,
    heldApproval(approvalId) {
      const held = w.held.get(approvalId);
      if (held === undefined) return undefined;
      const principal = held.call.identity?.user_id;
      return {
        serverId: held.s.id,
        toolName: held.call.tool.name,
        arguments: held.call.args,
        channel: held.channel,
        correlationId: held.call.correlationId,
        requestedBy: typeof principal === 'string' ? principal : null,
      };
    },
    decideApproval(approvalId, decision) {
      const held = w.held.get(approvalId);
      if (held === undefined) return [];
      w.held.delete(approvalId);
      return w.capture(() => settleApproval(w, held.s, held.call, approvalId, decision));
    },
  };
}

/**
 * Where serve's gate takes the fleet's gated calls (server/approvals/approval-gate.ts
 * implements it): `hold` keeps the call until a decision or its expiry and
 * says when that is; `onDecided` is called once with the outcome.
 */
export interface ApprovalHolder {
  hold(
    request: {
      readonly approvalId: string;
      readonly providerId: string;
      readonly toolName: string;
      readonly arguments: Readonly<Record<string, unknown>>;
      readonly channel: string;
      readonly correlationId: string;
      readonly requestedBy: string | null;
      readonly tenantId: string | null;
    },
    onDecided: (decision: ApprovalOutcome) => void,
  ): { readonly expiresAtMs: number };
}

export interface SimulatorSourceOptions {
  servers: number;
  /** Events per second on average, or `max`: as fast as the consumer allows (benchmarks). */
  ratePerSec: number | 'max';
  /** Which gateway the fleet looks like (default `current`). */
  profile?: SimulatorProfile;
  seed?: number;
  producedBy?: string;
  /** See FleetSimulatorOptions.idSalt. */
  idSalt?: number;
  /** The wall clock (events are stamped with it) and the pace's waits: serve passes io.clock, tests a fake one. */
  clock: Pick<Clock, 'now' | 'setTimeout'>;
  /**
   * Who decides gated calls: serve's gate (the calls wait for it), `off` (no
   * gate: they run at once) or, when omitted, the simulated approvers. At
   * `max` rate the simulated approvers always decide (benchmarks replay cycles).
   */
  approvals?: ApprovalHolder | 'off';
}

/**
 * The volume whose mix `max` mode plays: the fleet as the paced driver plays
 * it at this many events per second (tool calls scaled up, lifecycle at its
 * real pace), only without waiting. At the fleet's natural call rate the
 * pool of max mode (its first MAX_RATE_POOL_SIZE events, cycled) spans
 * minutes of boot and incidents, and a load test saw several times the
 * failure share of a paced run with the same seed.
 */
export const MAX_RATE_MIX_PER_SEC = 1_000;

/** Events published back to back in `max` mode before yielding to the event loop. */
export const MAX_RATE_BATCH = 256;
/** Events the paced driver publishes late (behind schedule) before it yields anyway. */
const PACED_BURST_LIMIT = 512;
/** How far behind schedule the paced driver may fall before it stops trying to catch up, ms. */
const MAX_LAG_MS = 1_000;
/** The longest quiet spell the paced driver plays in real time, ms. */
const MAX_QUIET_MS = 3_000;

/** Event types that come from tool calls (their volume follows `callRate`). */
function isCallEvent(eventType: string): boolean {
  return eventType.startsWith('ToolInvocation') || eventType.startsWith('ToolApproval');
}

/**
 * Measures the simulated fleet's natural event rates (events per simulated
 * second), split into tool-call events and the rest (lifecycle, health,
 * discovery, auth), by running a private copy past its boot (registrations,
 * first starts) and then over at least `minSpanMs` of simulated time and
 * `minEvents` events. The paced driver scales the call rate by them so the
 * stream averages `ratePerSec` while lifecycle events keep their real pace.
 */
export function measureRates(
  options: { servers: number; seed: number; profile?: SimulatorProfile },
  minEvents = 4_000,
  minSpanMs = 120_000,
): { callsPerSec: number; otherPerSec: number } {
  const sim = createFleetSimulator({ servers: options.servers, seed: options.seed, producedBy: 'calibration', startMs: 0, ...(options.profile ? { profile: options.profile } : {}) });
  const warmUpMs = 60_000;
  while (sim.peekNextAtMs() < warmUpMs) sim.next();
  const fromMs = sim.nowMs;
  let calls = 0;
  let other = 0;
  const maxEvents = 400_000; // bounds the cost for huge fleets
  while ((calls + other < minEvents || sim.nowMs - fromMs < minSpanMs) && calls + other < maxEvents) {
    if (isCallEvent(sim.next().event_type)) calls++;
    else other++;
  }
  const spanS = Math.max((sim.nowMs - fromMs) / 1000, 1e-3);
  return { callsPerSec: calls / spanS, otherPerSec: other / spanS };
}

/** The fleet's natural event rate, all events (see measureRates). */
export function measureNaturalRate(options: { servers: number; seed: number }, minEvents = 4_000, minSpanMs = 120_000): number {
  const { callsPerSec, otherPerSec } = measureRates(options, minEvents, minSpanMs);
  return callsPerSec + otherPerSec;
}

/** The lowest call rate factor `--rate` goes down to (below it the fleet would look idle). */
export const MIN_CALL_RATE = 0.05;

/**
 * The call rate factor that makes the fleet average `ratePerSec` events per
 * second: lifecycle, health and discovery keep their pace, tool calls make
 * up the rest (at least MIN_CALL_RATE of their natural volume).
 */
export function callRateFor(ratePerSec: number, rates: { callsPerSec: number; otherPerSec: number }): number {
  if (rates.callsPerSec <= 0) return 1;
  return Math.max(MIN_CALL_RATE, (ratePerSec - rates.otherPerSec) / rates.callsPerSec);
}

/**
 * The simulated fleet as an EventSource (serve's `--demo`). With a numeric
 * rate it plays the fleet in real time (lifecycle, health checks, discovery
 * and incidents at their real pace) with the tool-call volume scaled so the
 * stream averages about `ratePerSec` events per second; with `max` it publishes batches of
 * MAX_RATE_BATCH events and yields to the event loop between batches, so the
 * server can write to its sockets (events from createMaxRateGenerator). Either way every event's `occurred_at` is
 * the wall-clock time it was published (ids and fields still follow the seed),
 * so history, `replay.since` and clients' clocks agree. Runs until stopped.
 */
export function createSimulatorSource(options: SimulatorSourceOptions): EventSource & { readonly seed: number } {
  if (options.ratePerSec !== 'max' && !(options.ratePerSec > 0 && Number.isFinite(options.ratePerSec))) {
    throw new RangeError(`ratePerSec must be a positive number or 'max', got ${options.ratePerSec}`);
  }
  const seed = (options.seed ?? randomBytes(4).readUInt32LE(0)) >>> 0;
  const { clock } = options;
  const now = () => clock.now();
  let stopped = false;
  let wake: (() => void) | undefined;
  let timer: Timer | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = clock.setTimeout(resolve, ms);
    });

  async function runMax(sim: FleetSimulator, sink: EventSink): Promise<void> {
    const generator = createMaxRateGenerator(sim, seed, options.idSalt ?? 0);
    while (!stopped) {
      const stampS = now() / 1000;
      generator.publishBatch(sink, stampS, MAX_RATE_BATCH);
      await yieldToEventLoop();
    }
  }

  /**
   * A held call's ToolApprovalRequested: the gate takes the call as the event
   * goes out, and its expiry (the gate's, in wall-clock time) goes in the event.
   */
  function holdApproval(sim: FleetSimulator, sink: EventSink, gate: ApprovalHolder, event: HangarEvent): void {
    const approvalId = event.approval_id as string;
    const held = sim.heldApproval(approvalId);
    if (held === undefined) return;
    const publishNow = (events: HangarEvent[]) => {
      if (stopped) return;
      for (const e of events) {
        e.occurred_at = now() / 1000;
        sink.publish(e);
      }
    };
    const { expiresAtMs } = gate.hold(
      {
        approvalId,
        providerId: held.serverId,
        toolName: held.toolName,
        arguments: redactArguments(held.arguments),
        channel: held.channel,
        correlationId: held.correlationId,
        requestedBy: held.requestedBy,
        tenantId: null,
      },
      (decision) => publishNow(sim.decideApproval(approvalId, decision)),
    );
    event.expires_at = formatIsoUtc(expiresAtMs);
  }

  async function runPaced(sim: FleetSimulator, sink: EventSink): Promise<void> {
    const gate = typeof options.approvals === 'object' ? options.approvals : undefined;
    // Simulated time runs at the wall clock's pace; only a quiet spell is shortened, so the demo never looks stalled.
    let targetMs = now();
    let simPrevMs = sim.peekNextAtMs();
    let burst = 0;
    while (!stopped) {
      const simNextMs = sim.peekNextAtMs();
      targetMs += Math.min(simNextMs - simPrevMs, MAX_QUIET_MS);
      simPrevMs = simNextMs;
      const waitMs = targetMs - now();
      if (waitMs >= 1) {
        burst = 0;
        await sleep(waitMs);
        if (stopped) break;
      } else {
        if (waitMs < -MAX_LAG_MS) targetMs = now(); // after a stall, resume the pace instead of flooding
        if (++burst >= PACED_BURST_LIMIT) {
          burst = 0;
          await yieldToEventLoop();
          if (stopped) break;
        }
      }
      const event = sim.next();
      event.occurred_at = now() / 1000;
      if (gate !== undefined && event.event_type === 'ToolApprovalRequested') holdApproval(sim, sink, gate, event);
      sink.publish(event);
    }
  }

  return {
    name: 'demo',
    seed,
    async run(sink: EventSink, log: SourceLog): Promise<void> {
      if (stopped) return;
      const profile = options.profile ?? 'current';
      const volume = options.ratePerSec === 'max' ? MAX_RATE_MIX_PER_SEC : options.ratePerSec;
      const callRate = callRateFor(volume, measureRates({ servers: options.servers, seed, profile }));
      const sim = createFleetSimulator({
        servers: options.servers,
        seed,
        profile,
        callRate,
        approvals: options.ratePerSec === 'max' || options.approvals === undefined ? 'simulated' : options.approvals === 'off' ? 'off' : 'held',
        ...(options.producedBy !== undefined ? { producedBy: options.producedBy } : {}),
        ...(options.idSalt !== undefined ? { idSalt: options.idSalt } : {}),
        startMs: now(),
      });
      const pace = options.ratePerSec === 'max' ? 'as fast as clients read' : `about ${options.ratePerSec} events/s`;
      const ids = sim.serverIds;
      const names = ids.length <= 10 ? ids.join(', ') : `${ids.slice(0, 10).join(', ')}, ... ${ids.length - 10} more`;
      const gateway = profile === 'legacy' ? 'a pre-rename gateway (Provider* names, provider_id)' : 'a current gateway';
      log.info(`demo: simulating ${ids.length} MCP servers (${names}) on ${gateway}, seed ${seed}, ${pace}`);
      if (options.ratePerSec === 'max') await runMax(sim, sink);
      else await runPaced(sim, sink);
    },
    stop() {
      stopped = true;
      timer?.cancel();
      wake?.();
    },
  };
}
