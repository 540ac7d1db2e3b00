import { randomBytes } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { HangarEvent } from '../protocol/types.js';
import type { EventSink, EventSource, SourceLog } from './event-source.js';
import {
  fleetProfiles,
  HEALTH_ERRORS,
  identityContext,
  resultSize,
  type ServerProfile,
  type ToolProfile,
} from './fleet-profiles.js';
import {
  chance,
  createPrng,
  deriveSeed,
  exponential,
  logNormal,
  pick,
  pickWeighted,
  randomHex,
  randomUuid,
  uniform,
  UUID_LENGTH,
  writeRandomUuid,
  type Prng,
} from './prng.js';
import { Scheduler } from './scheduler.js';
import { textFrameHeaderLength, writeTextFrameHeader } from '../wire/text-frame.js';

/**
 * A simulated MCP Hangar fleet: servers that start, serve tool calls, fail
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

export interface FleetSimulatorOptions {
  /** Number of MCP servers (>= 1): math, fetch, github, filesystem, postgres, then slack, sqlite, ... */
  servers: number;
  /** Seed of the generator; omitted = a random seed (see `seed` on the result). */
  seed?: number;
  /** `produced_by` of every event; default `hangar-<4 hex>` drawn from the seed. */
  producedBy?: string;
  /** Simulated time of the first event, ms since the epoch. */
  startMs: number;
}

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
}

/** Timing of the fleet, simulated milliseconds. */
const HEALTH_INTERVAL_MS = 10_000;
const IDLE_AFTER_MS = 60_000;
const DISCOVERY_INTERVAL_MS = 30_000;
const FIRST_DISCOVERY_MS = 1_500;
const BREAKER_OPEN_AFTER = 5;
const BREAKER_RESET_MS = 30_000;
const DEGRADE_AFTER_HEALTH_FAILURES = 3;
const GIVE_UP_AFTER_HEALTH_FAILURES = 6;
const INCIDENT_MEAN_GAP_MS = 300_000;
/** Probability that a lifecycle event is also emitted under its deprecated Provider* name. */
const ALIAS_PROBABILITY = 0.1;

interface Call {
  correlationId: string;
  tool: ToolProfile;
  requestedAtMs: number;
  identity: Record<string, unknown> | null;
}

interface SimServer {
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
  const outbox: HangarEvent[] = [];
  let outHead = 0;
  let clockMs = options.startMs;
  let lastReturnedMs = options.startMs;
  let emittedInAction = 0;

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

  const after = (delayMs: number, run: () => void) => scheduler.at(clockMs + delayMs, run);
  const inIncident = (s: SimServer) => clockMs < s.incidentUntilMs;
  const round = (n: number, digits: number) => {
    const f = 10 ** digits;
    return Math.round(n * f) / f;
  };

  function emit(eventType: string, fields: Record<string, unknown>): void {
    // Events of one action are a few microseconds apart, so occurred_at is strictly increasing.
    if (emittedInAction > 0) clockMs += uniform(rng, 0.02, 0.4);
    emittedInAction++;
    outbox.push({
      event_type: eventType,
      event_id: randomUuid(idRng),
      occurred_at: round(clockMs / 1000, 6),
      produced_by: producedBy,
      ...fields,
    });
  }

  /** Now and then a gateway still emits the deprecated Provider* name next to the new one. */
  function maybeAlias(eventType: string, fields: Record<string, unknown>): void {
    if (!chance(rng, ALIAS_PROBABILITY)) return;
    const aliased: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(fields)) {
      const renamed = key === 'mcp_server_id' ? 'provider_id' : key === 'mcp_server_name' ? 'provider_name' : key;
      aliased[renamed] = value;
    }
    emit(eventType.replace(/^McpServer/, 'Provider'), aliased);
  }

  function transition(s: SimServer, to: ServerState): void {
    const from = s.state;
    if (!SERVER_TRANSITIONS[from].includes(to)) {
      throw new Error(`simulator bug: invalid transition ${from} -> ${to} for ${s.id}`);
    }
    s.state = to;
    emit('McpServerStateChanged', { mcp_server_id: s.id, old_state: from, new_state: to });
  }

  function setBreaker(s: SimServer, to: BreakerState): void {
    const from = s.breaker;
    if (!BREAKER_TRANSITIONS[from].includes(to)) {
      throw new Error(`simulator bug: invalid breaker transition ${from} -> ${to} for ${s.id}`);
    }
    s.breaker = to;
    s.breakerGeneration++;
    emit('CircuitBreakerStateChanged', { mcp_server_id: s.id, old_state: from, new_state: to });
    if (to === 'open') {
      const generation = s.breakerGeneration;
      after(BREAKER_RESET_MS * uniform(rng, 0.9, 1.1), () => {
        if (s.breakerGeneration === generation && s.breaker === 'open') setBreaker(s, 'half_open');
      });
    }
    if (to === 'closed') s.breakerFailures = 0;
  }

  function emitResult(s: SimServer, call: Call, outcome: Outcome): void {
    const durationMs = round(clockMs - call.requestedAtMs, 3);
    if (outcome.ok) {
      emit('ToolInvocationCompleted', {
        mcp_server_id: s.id,
        tool_name: call.tool.name,
        correlation_id: call.correlationId,
        duration_ms: durationMs,
        result_size_bytes: outcome.resultBytes,
        identity_context: call.identity,
      });
    } else {
      emit('ToolInvocationFailed', {
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

  function failFast(s: SimServer, call: Call, errorType: string, message: string): void {
    clockMs += uniform(rng, 0.1, 0.8);
    emitResult(s, call, { ok: false, errorType, message });
  }

  function failAll(s: SimServer, calls: Iterable<Call>, errorType: string, message: string): void {
    for (const call of [...calls]) emitResult(s, call, { ok: false, errorType, message });
  }

  /** Decides how a call ends, and when. */
  function decide(s: SimServer, tool: ToolProfile): { delayMs: number; outcome: Outcome } {
    const incident = inIncident(s);
    const latencyMs = logNormal(rng, tool.medianMs, tool.sigma) * (incident ? 3 : 1);
    // Some calls hang (a stuck upstream, a deadlocked server) and end at the timeout.
    if (latencyMs > tool.timeoutMs || chance(rng, incident ? 0.08 : 0.002)) {
      return { delayMs: tool.timeoutMs, outcome: { ok: false, errorType: 'TimeoutError', message: `tool call exceeded timeout of ${tool.timeoutMs / 1000}s` } };
    }
    const errorRate = incident ? Math.max(0.6, tool.errorRate) : tool.errorRate;
    if (chance(rng, errorRate)) {
      if (incident && chance(rng, 0.6)) {
        return { delayMs: latencyMs, outcome: { ok: false, errorType: 'TransportError', message: pick(rng, ['broken pipe on stdio transport', 'server closed the connection', 'read timed out waiting for response frame']) } };
      }
      const candidates = tool.errors.filter((e) => e.weight > 0);
      const error = candidates.length > 0 ? pickWeighted(rng, candidates, (e) => e.weight) : undefined;
      return {
        delayMs: latencyMs * uniform(rng, 0.2, 1),
        outcome: { ok: false, errorType: error?.type ?? 'ToolExecutionError', message: error?.message(rng) ?? 'tool raised an exception' },
      };
    }
    return { delayMs: latencyMs, outcome: { ok: true, resultBytes: resultSize(rng, tool.resultBytes) } };
  }

  function dispatch(s: SimServer, call: Call): void {
    const { delayMs, outcome } = decide(s, call.tool);
    s.inflight.set(call.correlationId, call);
    after(delayMs, () => {
      if (!s.inflight.delete(call.correlationId)) return; // already failed by a crash or stop
      s.lastUsedMs = clockMs;
      emitResult(s, call, outcome);
      recordForBreaker(s, outcome.ok);
    });
  }

  function recordForBreaker(s: SimServer, ok: boolean): void {
    if (ok) {
      if (s.breaker === 'half_open') setBreaker(s, 'closed');
      s.breakerFailures = 0;
      return;
    }
    s.breakerFailures++;
    if (s.breaker === 'half_open') setBreaker(s, 'open');
    else if (s.breaker === 'closed' && s.breakerFailures >= BREAKER_OPEN_AFTER) setBreaker(s, 'open');
  }

  function makeCall(s: SimServer): void {
    const tool = pickWeighted(rng, s.profile.tools, (t) => t.weight);
    const call: Call = { correlationId: randomUuid(idRng), tool, requestedAtMs: clockMs, identity: identityContext(rng) };
    emit('ToolInvocationRequested', {
      mcp_server_id: s.id,
      tool_name: tool.name,
      correlation_id: call.correlationId,
      arguments: tool.args(rng),
      identity_context: call.identity,
    });
    call.requestedAtMs = clockMs;
    s.lastUsedMs = clockMs;
    if (s.breaker === 'open') {
      failFast(s, call, 'CircuitOpenError', `circuit breaker for ${s.id} is open; failing fast`);
      return;
    }
    switch (s.state) {
      case 'cold':
        s.pending.push(call);
        startServer(s);
        return;
      case 'initializing':
        s.pending.push(call);
        return;
      case 'ready':
        dispatch(s, call);
        return;
      case 'degraded':
        failFast(s, call, 'ProviderDegradedError', `mcp server ${s.id} is degraded; call rejected`);
        return;
      case 'dead':
        failFast(s, call, 'McpServerUnavailableError', `mcp server ${s.id} is dead; restart pending`);
        return;
    }
  }

  function startServer(s: SimServer): void {
    transition(s, 'initializing');
    s.healthFailures = 0; // a fresh process starts a fresh count
    const generation = ++s.generation;
    const startupMs = logNormal(rng, s.profile.startupMedianMs, 0.35) * (inIncident(s) ? 2 : 1);
    after(startupMs, () => {
      if (s.generation !== generation || s.state !== 'initializing') return;
      finishStartup(s, startupMs);
    });
  }

  function finishStartup(s: SimServer, startupMs: number): void {
    const incident = inIncident(s);
    const r = rng.next();
    const toReady = incident ? 0.3 : 0.95;
    const toDead = incident ? 0.8 : 0.99;
    const pending = s.pending;
    s.pending = [];
    if (r < toReady) {
      const fields = { mcp_server_id: s.id, mode: s.profile.mode, tools_count: s.profile.toolsCount, startup_duration_ms: round(startupMs, 1) };
      emit('McpServerStarted', fields);
      maybeAlias('McpServerStarted', fields);
      transition(s, 'ready');
      s.healthFailures = 0;
      s.lastUsedMs = clockMs;
      for (const call of pending) dispatch(s, call);
    } else if (r < toDead) {
      transition(s, 'dead');
      failAll(s, pending, 'ProviderStartError', `mcp server ${s.id} exited during startup (exit code 1)`);
      scheduleRestart(s);
    } else {
      s.totalFailures++;
      s.healthFailures = 1;
      emit('HealthCheckFailed', { mcp_server_id: s.id, consecutive_failures: s.healthFailures, error_message: pick(rng, HEALTH_ERRORS) });
      emit('McpServerDegraded', { mcp_server_id: s.id, consecutive_failures: s.healthFailures, total_failures: s.totalFailures, reason: 'health check failed right after startup' });
      transition(s, 'degraded');
      failAll(s, pending, 'ProviderDegradedError', `mcp server ${s.id} is degraded; call rejected`);
    }
  }

  function scheduleRestart(s: SimServer): void {
    const generation = s.generation;
    after(uniform(rng, 4_000, 15_000), () => {
      if (s.generation === generation && s.state === 'dead') startServer(s);
    });
  }

  function stopServer(s: SimServer, reason: string): void {
    const fields = { mcp_server_id: s.id, reason };
    failAll(s, s.inflight.values(), 'TransportError', `mcp server ${s.id} was stopped (${reason})`);
    s.inflight.clear();
    emit('McpServerStopped', fields);
    maybeAlias('McpServerStopped', fields);
    s.generation++;
    transition(s, 'cold');
  }

  function healthTick(s: SimServer): void {
    after(HEALTH_INTERVAL_MS * uniform(rng, 0.9, 1.1), () => healthTick(s));
    if (!s.registered || (s.state !== 'ready' && s.state !== 'degraded')) return;
    const incident = inIncident(s);
    if (s.state === 'ready' && incident && chance(rng, 0.05)) {
      // A crash: the process is gone, in-flight calls fail with it.
      s.generation++;
      transition(s, 'dead');
      failAll(s, s.inflight.values(), 'TransportError', `mcp server ${s.id} exited unexpectedly (signal SIGKILL)`);
      s.inflight.clear();
      scheduleRestart(s);
      return;
    }
    if (chance(rng, incident ? 0.75 : 0.015)) {
      s.healthFailures++;
      s.totalFailures++;
      emit('HealthCheckFailed', { mcp_server_id: s.id, consecutive_failures: s.healthFailures, error_message: pick(rng, HEALTH_ERRORS) });
      if (s.state === 'ready' && s.healthFailures >= DEGRADE_AFTER_HEALTH_FAILURES) {
        emit('McpServerDegraded', { mcp_server_id: s.id, consecutive_failures: s.healthFailures, total_failures: s.totalFailures, reason: `${s.healthFailures} consecutive health check failures` });
        transition(s, 'degraded');
      } else if (s.state === 'degraded' && s.healthFailures >= GIVE_UP_AFTER_HEALTH_FAILURES) {
        if (chance(rng, 0.6)) {
          failAll(s, s.inflight.values(), 'TransportError', `mcp server ${s.id} is restarting`);
          s.inflight.clear();
          startServer(s);
        } else {
          stopServer(s, 'stopped after repeated health check failures');
        }
      }
      return;
    }
    emit('HealthCheckPassed', { mcp_server_id: s.id, duration_ms: round(logNormal(rng, 8, 0.5), 2) });
    s.healthFailures = 0;
    if (s.state === 'degraded') {
      failAll(s, s.inflight.values(), 'TransportError', `mcp server ${s.id} is restarting`);
      s.inflight.clear();
      startServer(s); // recovery: degraded -> initializing -> ready
      return;
    }
    const idleMs = clockMs - s.lastUsedMs;
    if (s.state === 'ready' && s.inflight.size === 0 && idleMs >= IDLE_AFTER_MS) {
      emit('McpServerIdleDetected', { mcp_server_id: s.id, idle_duration_s: round(idleMs / 1000, 1), last_used_at: round(s.lastUsedMs / 1000, 6) });
      stopServer(s, 'idle');
    }
  }

  /** Agents use a server in bursts separated by quiet spells. */
  function startBurst(s: SimServer): void {
    s.activeUntilMs = clockMs + exponential(rng, s.profile.activeMeanS * 1000);
    scheduleCall(s);
  }

  function scheduleCall(s: SimServer): void {
    const gapMs = exponential(rng, 1000 / s.profile.activeCallsPerSec);
    if (clockMs + gapMs > s.activeUntilMs) {
      after(s.activeUntilMs - clockMs + exponential(rng, s.profile.quietMeanS * 1000), () => startBurst(s));
      return;
    }
    after(gapMs, () => {
      if (s.registered) makeCall(s);
      scheduleCall(s);
    });
  }

  function scheduleIncident(s: SimServer): void {
    after(exponential(rng, INCIDENT_MEAN_GAP_MS), () => {
      s.incidentUntilMs = clockMs + uniform(rng, 15_000, 50_000);
      scheduleIncidentAfter(s);
    });
  }

  function scheduleIncidentAfter(s: SimServer): void {
    scheduler.at(s.incidentUntilMs, () => scheduleIncident(s));
  }

  function discoveryCycle(): void {
    after(DISCOVERY_INTERVAL_MS * uniform(rng, 0.95, 1.05), discoveryCycle);
    let discovered = 0;
    let registered = 0;
    let deregistered = 0;
    const cycleStartMs = clockMs;
    for (const s of servers) {
      if (s.profile.origin !== 'discovery') continue;
      if (!s.registered && clockMs >= s.lostUntilMs) {
        const fields = { mcp_server_name: s.id, source_type: s.profile.sourceType, mode: s.profile.mode, fingerprint: `sha256:${randomHex(rng, 16)}` };
        emit('McpServerDiscovered', fields);
        maybeAlias('McpServerDiscovered', fields);
        emit('McpServerRegistered', { mcp_server_id: s.id, source: 'discovery', mode: s.profile.mode });
        s.registered = true;
        s.lastUsedMs = clockMs;
        discovered++;
        registered++;
      } else if (s.registered && s.state === 'cold' && s.pending.length === 0 && chance(rng, 0.08)) {
        emit('McpServerDiscoveryLost', { mcp_server_name: s.id, source_type: s.profile.sourceType, reason: pick(rng, ['container removed', 'source no longer lists the server', 'pod deleted']) });
        emit('McpServerDeregistered', { mcp_server_id: s.id, source: 'discovery' });
        s.registered = false;
        s.lostUntilMs = clockMs + uniform(rng, 45_000, 120_000);
        deregistered++;
      }
    }
    const quarantined = chance(rng, 0.05) ? 1 : 0;
    const errors = chance(rng, 0.04) ? 1 : 0;
    emit('DiscoveryCycleCompleted', {
      discovered_count: discovered,
      registered_count: registered,
      deregistered_count: deregistered,
      quarantined_count: quarantined,
      error_count: errors,
      duration_ms: round(Math.max(clockMs - cycleStartMs, 0) + logNormal(rng, 45, 0.5), 1),
    });
  }

  // The fleet boots: config servers register, the first two are preloaded,
  // discovery runs shortly after and finds the rest.
  scheduler.at(options.startMs, () => {
    for (const s of servers) {
      if (s.profile.origin !== 'config') continue;
      emit('McpServerRegistered', { mcp_server_id: s.id, source: 'config', mode: s.profile.mode });
      s.registered = true;
    }
  });
  servers.forEach((s, i) => {
    if (s.profile.origin === 'config' && i < 2) scheduler.at(options.startMs + 40 + i * 25, () => startServer(s));
    scheduler.at(options.startMs + 500 + uniform(rng, 0, HEALTH_INTERVAL_MS), () => healthTick(s));
    scheduler.at(options.startMs + uniform(rng, 200, 3_000), () => startBurst(s));
    scheduler.at(options.startMs + exponential(rng, INCIDENT_MEAN_GAP_MS / 2), () => {
      s.incidentUntilMs = clockMs + uniform(rng, 15_000, 50_000);
      scheduleIncidentAfter(s);
    });
  });
  scheduler.at(options.startMs + FIRST_DISCOVERY_MS, discoveryCycle);

  /** Runs scheduled actions until at least one event is waiting. */
  function fill(): void {
    while (outHead >= outbox.length) {
      if (outHead > 0) {
        outbox.length = 0;
        outHead = 0;
      }
      const action = scheduler.pop();
      if (!action) throw new Error('simulator bug: nothing scheduled');
      clockMs = Math.max(clockMs, action.atMs);
      emittedInAction = 0;
      action.run();
    }
  }

  return {
    next() {
      fill();
      const event = outbox[outHead++]!;
      lastReturnedMs = (event.occurred_at as number) * 1000;
      return event;
    },
    get nowMs() {
      return lastReturnedMs;
    },
    peekNextAtMs() {
      fill();
      return (outbox[outHead]!.occurred_at as number) * 1000;
    },
    seed,
    producedBy,
    serverIds: servers.map((s) => s.id),
  };
}

type Outcome = { ok: true; resultBytes: number } | { ok: false; errorType: string; message: string };

export interface SimulatorSourceOptions {
  servers: number;
  /** Events per second on average, or `max`: as fast as the consumer allows (benchmarks). */
  ratePerSec: number | 'max';
  seed?: number;
  producedBy?: string;
  /** Wall clock, ms since the epoch (serve passes io.now). */
  now: () => number;
}

/** Events published back to back in `max` mode before yielding to the event loop. */
export const MAX_RATE_BATCH = 256;
/** Events the paced driver publishes late (behind schedule) before it yields anyway. */
const PACED_BURST_LIMIT = 512;
/** How far behind schedule the paced driver may fall before it stops trying to catch up, ms. */
const MAX_LAG_MS = 1_000;

/** Events the max-rate driver simulates before it starts cycling through them. */
export const MAX_RATE_POOL_SIZE = 2_048;

/**
 * The event generator of `max` mode, built for benchmarks: the first
 * MAX_RATE_POOL_SIZE events are the simulator's own; after that it cycles
 * through them as shallow copies with a fresh `event_id` (still drawn from
 * the seed) and `correlation_id`s suffixed with the cycle number (`<id>-2`),
 * so the stream keeps realistic event sizes and shapes at a fraction of the
 * simulation's cost. Server states restart at each cycle boundary, which a
 * benchmark does not notice and a reading human never sees at that speed.
 * `occurred_at` is the given stamp rounded to the microsecond.
 *
 * `publishNext` is what the driver uses: from the second cycle on it neither
 * copies nor serializes the pool event, but copies its WebSocket frame,
 * prepared once per pool event, and writes the new id, time and cycle into
 * their places; the hub gets the frame and a small object with the fields it
 * indexes (`publishSerialized`). `next` yields the same events as objects.
 */
export interface MaxRateGenerator {
  /** The next event as an object, stamped `occurredAtS`. */
  next(occurredAtS: number): HangarEvent;
  /** Publishes the next event (the same one `next` would return) into `sink`, pre-serialized when the sink takes that. */
  publishNext(sink: EventSink, occurredAtS: number): void;
}

/**
 * One pool event as a whole text frame (header and JSON) with fixed places
 * for what changes per copy: the id, the time and the cycle suffix, the
 * latter two with the widths it was built for (rebuilt when they change).
 */
interface FrameTemplate {
  readonly wire: Buffer;
  readonly idAt: number;
  readonly stampAt: number;
  readonly stampWidth: number;
  /** -1 without a correlation id. */
  readonly cycleAt: number;
  readonly cycleWidth: number;
  readonly eventType: string;
  readonly serverId: string | undefined;
}

/** Stand-ins for the holes while a template is serialized (each must occur exactly once; JSON leaves them as they are). */
const ID_MARKER = '~~hangar-hole-event-id~~';
const STAMP_MARKER = '~~hangar-hole-occurred-at~~';
const CYCLE_MARKER = '~~hangar-hole-cycle~~';
const ZERO_ID = '0'.repeat(UUID_LENGTH);

/** Builds the frame template of `event` for this stamp text and cycle suffix; undefined when it cannot be done safely. */
function frameTemplate(event: HangarEvent, stampText: string, cycleSuffix: string): FrameTemplate | undefined {
  if (typeof event.event_type !== 'string') return undefined;
  const hasCycle = typeof event.correlation_id === 'string';
  const marked: Record<string, unknown> = { ...event, event_id: ID_MARKER, occurred_at: STAMP_MARKER };
  if (hasCycle) marked.correlation_id = `${event.correlation_id as string}${CYCLE_MARKER}`;
  const text = JSON.stringify(marked);
  // Each hole's marker as serialized and what replaces it; the time replaces the quotes too (a number for a string).
  const holes = [
    { marker: ID_MARKER, replacement: ZERO_ID, index: 0, at: 0 },
    { marker: `"${STAMP_MARKER}"`, replacement: stampText, index: 0, at: 0 },
  ];
  if (hasCycle) holes.push({ marker: CYCLE_MARKER, replacement: cycleSuffix, index: 0, at: 0 });
  for (const hole of holes) {
    hole.index = text.indexOf(hole.marker);
    if (hole.index < 0 || text.indexOf(hole.marker, hole.index + 1) >= 0) return undefined;
  }
  let filled = '';
  let from = 0;
  for (const hole of [...holes].sort((a, b) => a.index - b.index)) {
    filled += text.slice(from, hole.index);
    hole.at = Buffer.byteLength(filled);
    filled += hole.replacement;
    from = hole.index + hole.marker.length;
  }
  filled += text.slice(from);
  const json = Buffer.from(filled);
  const headerLength = textFrameHeaderLength(json.length);
  const wire = Buffer.allocUnsafe(headerLength + json.length);
  writeTextFrameHeader(wire, json.length);
  json.copy(wire, headerLength);
  return {
    wire,
    idAt: headerLength + holes[0]!.at,
    stampAt: headerLength + holes[1]!.at,
    stampWidth: stampText.length,
    cycleAt: hasCycle ? headerLength + holes[2]!.at : -1,
    cycleWidth: cycleSuffix.length,
    eventType: event.event_type,
    serverId: typeof event.mcp_server_id === 'string' ? event.mcp_server_id : undefined,
  };
}

/**
 * What the hub indexes of a pre-serialized copy (see EventSink.publishSerialized):
 * its type and server, and the id and time read from the frame and the batch's
 * stamp when asked, so a copy costs no string and no number of its own.
 */
class CopyIndex {
  constructor(
    readonly event_type: string,
    readonly mcp_server_id: string | undefined,
    private readonly stamp: Stamp,
    private readonly wire: Buffer,
    private readonly idAt: number,
  ) {}

  get event_id(): string {
    return this.wire.toString('latin1', this.idAt, this.idAt + UUID_LENGTH);
  }

  get occurred_at(): number {
    return this.stamp.seconds;
  }
}

/** A stamp as max mode writes it: fixed six decimals (valid JSON), and the number that text parses to. */
interface Stamp {
  readonly seconds: number;
  readonly text: string;
  readonly bytes: Buffer;
}

function stampOf(occurredAtS: number): Stamp {
  const text = Number.isFinite(occurredAtS) && Math.abs(occurredAtS) < 1e15 ? occurredAtS.toFixed(6) : 'null';
  return { seconds: text === 'null' ? Number.NaN : Number(text), text, bytes: Buffer.from(text, 'latin1') };
}

export function createMaxRateGenerator(sim: FleetSimulator, seed: number): MaxRateGenerator {
  const pool: HangarEvent[] = [];
  const templates: (FrameTemplate | null | undefined)[] = [];
  const idRng = createPrng(deriveSeed(seed, 'max-rate-ids'));
  let index = 0;
  let cycle = 1;
  let cycleSuffix = '-1';
  let cycleBytes = Buffer.from(cycleSuffix);
  let stamp = stampOf(Number.NaN);
  let stampInput = Number.NaN;

  const stamped = (occurredAtS: number): Stamp => {
    if (occurredAtS !== stampInput) {
      stampInput = occurredAtS;
      stamp = stampOf(occurredAtS);
    }
    return stamp;
  };

  /** Fills the pool while it is not full; returns the simulator's event, or undefined once cycling. */
  const fromSimulator = (occurredAtS: number): HangarEvent | undefined => {
    if (pool.length >= MAX_RATE_POOL_SIZE) return undefined;
    const event = sim.next();
    event.occurred_at = stamped(occurredAtS).seconds;
    pool.push(event);
    return event;
  };

  /** Advances the cycle position; returns the pool index of the next copy. */
  const advance = (): number => {
    const at = index;
    if (++index === MAX_RATE_POOL_SIZE) index = 0;
    if (index === 1) {
      cycle++;
      cycleSuffix = `-${cycle}`;
      cycleBytes = Buffer.from(cycleSuffix);
    }
    return at;
  };

  const copyOf = (template: HangarEvent, eventId: string, occurredAtS: number): HangarEvent => {
    const copy: HangarEvent = { ...template, event_id: eventId, occurred_at: stamped(occurredAtS).seconds };
    if (typeof template.correlation_id === 'string') copy.correlation_id = `${template.correlation_id}${cycleSuffix}`;
    return copy;
  };

  return {
    next(occurredAtS) {
      const own = fromSimulator(occurredAtS);
      if (own) return own;
      const template = pool[advance()]!;
      return copyOf(template, randomUuid(idRng), occurredAtS);
    },
    publishNext(sink, occurredAtS) {
      const own = fromSimulator(occurredAtS);
      if (own) {
        sink.publish(own);
        return;
      }
      const slot = advance();
      const stamp = stamped(occurredAtS);
      const stampBytes = stamp.bytes;
      let template = templates[slot];
      if (template && (template.stampWidth !== stampBytes.length || (template.cycleAt >= 0 && template.cycleWidth !== cycleSuffix.length))) template = undefined;
      if (template === undefined) template = templates[slot] = frameTemplate(pool[slot]!, stamp.text, cycleSuffix) ?? null;
      if (template === null || !sink.publishSerialized) {
        sink.publish(copyOf(pool[slot]!, randomUuid(idRng), occurredAtS));
        return;
      }
      // One copy of the prepared frame, then the id, time and cycle written into their places.
      const wire = Buffer.allocUnsafe(template.wire.length);
      template.wire.copy(wire, 0);
      const idAt = template.idAt;
      writeRandomUuid(idRng, wire, idAt); // the id randomUuid(idRng) would draw, as bytes
      const stampAt = template.stampAt;
      for (let i = 0; i < stampBytes.length; i++) wire[stampAt + i] = stampBytes[i]!;
      const cycleAt = template.cycleAt;
      if (cycleAt >= 0) for (let i = 0; i < cycleBytes.length; i++) wire[cycleAt + i] = cycleBytes[i]!;
      // A HangarEvent as far as the hub looks (type, server, id, time); its class has no index signature.
      sink.publishSerialized(new CopyIndex(template.eventType, template.serverId, stamp, wire, idAt) as unknown as HangarEvent, wire);
    },
  };
}

/**
 * Measures the simulated fleet's natural event rate (events per simulated
 * second) by running a private copy past its boot (registrations, first
 * starts) and then over at least `minSpanMs` of simulated time and
 * `minEvents` events; the paced driver scales simulated time by it so the
 * stream averages `ratePerSec` while keeping the fleet's rhythm (bursts of
 * tool calls, quiet spells).
 */
export function measureNaturalRate(options: { servers: number; seed: number }, minEvents = 4_000, minSpanMs = 120_000): number {
  const sim = createFleetSimulator({ servers: options.servers, seed: options.seed, producedBy: 'calibration', startMs: 0 });
  const warmUpMs = 60_000;
  while (sim.peekNextAtMs() < warmUpMs) sim.next();
  const fromMs = sim.nowMs;
  let count = 0;
  const maxEvents = 400_000; // bounds the cost for huge fleets
  while ((count < minEvents || sim.nowMs - fromMs < minSpanMs) && count < maxEvents) {
    sim.next();
    count++;
  }
  const spanS = (sim.nowMs - fromMs) / 1000;
  return spanS > 0 ? count / spanS : count;
}

/**
 * The simulated fleet as an EventSource (serve's `--demo`). With a numeric
 * rate it plays the fleet in real time, scaled so the stream averages about
 * `ratePerSec` events per second; with `max` it publishes batches of
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
  const { now } = options;
  let stopped = false;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });

  async function runMax(sim: FleetSimulator, sink: EventSink): Promise<void> {
    const generator = createMaxRateGenerator(sim, seed);
    while (!stopped) {
      const stampS = now() / 1000;
      for (let i = 0; i < MAX_RATE_BATCH; i++) generator.publishNext(sink, stampS);
      await yieldToEventLoop();
    }
  }

  async function runPaced(sim: FleetSimulator, sink: EventSink, ratePerSec: number): Promise<void> {
    const realMsPerSimMs = measureNaturalRate({ servers: options.servers, seed }) / ratePerSec;
    // A quiet spell in the fleet is shortened so the demo never looks stalled.
    const maxGapMs = Math.max(2_000, 10_000 / ratePerSec);
    let targetMs = now();
    let simPrevMs = sim.peekNextAtMs();
    let burst = 0;
    while (!stopped) {
      const simNextMs = sim.peekNextAtMs();
      targetMs += Math.min((simNextMs - simPrevMs) * realMsPerSimMs, maxGapMs);
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
      sink.publish(event);
    }
  }

  return {
    name: 'demo',
    seed,
    async run(sink: EventSink, log: SourceLog): Promise<void> {
      if (stopped) return;
      const sim = createFleetSimulator({ servers: options.servers, seed, ...(options.producedBy !== undefined ? { producedBy: options.producedBy } : {}), startMs: now() });
      const pace = options.ratePerSec === 'max' ? 'as fast as clients read' : `about ${options.ratePerSec} events/s`;
      const ids = sim.serverIds;
      const names = ids.length <= 10 ? ids.join(', ') : `${ids.slice(0, 10).join(', ')}, ... ${ids.length - 10} more`;
      log.info(`demo: simulating ${ids.length} MCP servers (${names}), seed ${seed}, ${pace}`);
      if (options.ratePerSec === 'max') await runMax(sim, sink);
      else await runPaced(sim, sink, options.ratePerSec);
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
    },
  };
}
