import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import type { HangarEvent } from '../../src/protocol/types.js';
import type { EventSink } from '../../src/server/event-sink.js';
import type { SourceLog } from '../../src/sources/event-source.js';
import { createMaxRateGenerator, MAX_RATE_POOL_SIZE } from '../../src/sources/fleet/max-rate.js';
import { BREAKER_TRANSITIONS, SERVER_TRANSITIONS, type BreakerState, type ServerState } from '../../src/sources/fleet/model.js';
import { lookupEventType } from '../../src/protocol/catalog.js';
import { HANGAR_ERROR_TYPES } from '../../src/sources/fleet/profiles.js';
import { callRateFor, createFleetSimulator, createSimulatorSource, MAX_RATE_BATCH, MAX_RATE_MIX_PER_SEC, measureNaturalRate, measureRates } from '../../src/sources/fleet/simulator.js';
import { createPrng, randomUuid, writeRandomUuid } from '../../src/sources/fleet/prng.js';
import { textFrameHeaderLength, textFrameHeaderLengthOf, writeTextFrameHeader } from '../../src/wire/text-frame.js';

const START_MS = Date.UTC(2026, 10, 26, 12, 0, 0);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Whether a JSON value fits a Python annotation of the catalog (`str`, `int | None`, `list[str]`, `dict[str, Any] | None`, ...). */
function fitsPythonType(value: unknown, type: string): boolean {
  const alternatives = type.split('|').map((t) => t.trim());
  return alternatives.some((t) => {
    if (t === 'None') return value === null;
    if (t === 'str') return typeof value === 'string';
    if (t === 'int') return Number.isInteger(value);
    if (t === 'float') return typeof value === 'number' && Number.isFinite(value);
    if (t === 'bool') return typeof value === 'boolean';
    if (t.startsWith('list') || t.startsWith('tuple')) return Array.isArray(value);
    if (t.startsWith('dict')) return typeof value === 'object' && value !== null && !Array.isArray(value);
    return true;
  });
}

function take(n: number, options: { servers: number; seed?: number; producedBy?: string; callRate?: number } = { servers: 5, seed: 7 }): HangarEvent[] {
  const sim = createFleetSimulator({ ...options, startMs: START_MS });
  return Array.from({ length: n }, () => sim.next());
}

// A long seeded run shared by the invariant tests (deterministic, so every run checks the same events).
const LONG = take(60_000, { servers: 10, seed: 20261126 });

describe('createFleetSimulator', () => {
  it('is deterministic: the same seed yields the same events, ids and timestamps', () => {
    const a = take(5_000, { servers: 7, seed: 1234 });
    const b = take(5_000, { servers: 7, seed: 1234 });
    expect(b).toEqual(a);
    const c = take(5_000, { servers: 7, seed: 1235 });
    expect(c.map((e) => e.event_id)).not.toEqual(a.map((e) => e.event_id));
  });

  it('reports the drawn seed, which reproduces an unseeded run', () => {
    const unseeded = createFleetSimulator({ servers: 3, startMs: START_MS });
    const first = Array.from({ length: 300 }, () => unseeded.next());
    expect(take(300, { servers: 3, seed: unseeded.seed })).toEqual(first);
  });

  it('names the fleet like a Hangar user expects, and extends it past the named servers', () => {
    expect(createFleetSimulator({ servers: 5, seed: 1, startMs: START_MS }).serverIds).toEqual(['math', 'fetch', 'github', 'filesystem', 'postgres']);
    const twelve = createFleetSimulator({ servers: 12, seed: 1, startMs: START_MS }).serverIds;
    expect(twelve.slice(5, 10)).toEqual(['slack', 'sqlite', 'memory', 'brave-search', 'puppeteer']);
    expect(twelve.slice(10)).toEqual(['math-2', 'fetch-2']);
    expect(() => createFleetSimulator({ servers: 0, startMs: START_MS })).toThrow(RangeError);
  });

  it('gives every event a unique UUID-shaped event_id, occurred_at in Unix seconds, and produced_by', () => {
    const ids = new Set<string>();
    const problems: string[] = [];
    let previous = -Infinity;
    for (const event of LONG) {
      if (!UUID.test(event.event_id ?? '')) problems.push(`event_id ${event.event_id}`);
      ids.add(event.event_id!);
      if (typeof event.occurred_at !== 'number' || event.occurred_at < previous) problems.push(`occurred_at ${event.occurred_at} after ${previous}`);
      previous = event.occurred_at!;
      if (!/^hangar-[0-9a-f]{4}$/.test(event.produced_by ?? '')) problems.push(`produced_by ${event.produced_by}`);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(ids.size).toBe(LONG.length);
    expect(LONG[0]!.occurred_at).toBe(START_MS / 1000);
    expect(take(5, { servers: 2, seed: 3, producedBy: 'hangar-test' }).every((e) => e.produced_by === 'hangar-test')).toBe(true);
  });

  it('exposes its simulated clock: peekNextAtMs is the time of the next event, nowMs of the last', () => {
    const sim = createFleetSimulator({ servers: 5, seed: 9, startMs: START_MS });
    expect(sim.nowMs).toBe(START_MS);
    for (let i = 0; i < 500; i++) {
      const at = sim.peekNextAtMs();
      expect(at).toBeGreaterThanOrEqual(sim.nowMs);
      const event = sim.next();
      expect(event.occurred_at! * 1000).toBe(at);
      expect(sim.nowMs).toBe(at);
    }
  });

  it('emits only types a current gateway emits, each with exactly its catalog fields', () => {
    const seen = new Set<string>();
    const problems: string[] = [];
    for (const event of LONG) {
      seen.add(event.event_type);
      const info = lookupEventType(event.event_type);
      if (!info || !info.emitted) {
        problems.push(`${event.event_type}: ${info ? 'never emitted by a current gateway' : 'not in the catalog'}`);
        continue;
      }
      const fields = Object.keys(event).filter((k) => !['event_type', 'event_id', 'occurred_at', 'produced_by'].includes(k)).sort();
      const expected = info.fields.map((f) => f.name).sort();
      if (JSON.stringify(fields) !== JSON.stringify(expected)) problems.push(`${event.event_type}: ${fields.join(',')} != ${expected.join(',')}`);
      for (const field of info.fields) {
        const value = event[field.name];
        if (!fitsPythonType(value, field.type)) problems.push(`${event.event_type}.${field.name} = ${JSON.stringify(value)} is not ${field.type}`);
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    for (const type of ['McpServerStarted', 'McpServerStopped', 'McpServerDegraded', 'McpServerStateChanged', 'McpServerIdleDetected', 'McpServerRegistered', 'HealthCheckPassed', 'HealthCheckFailed', 'ToolInvocationRequested', 'ToolInvocationCompleted', 'ToolInvocationFailed', 'CircuitBreakerStateChanged', 'McpServerDiscovered', 'ToolApprovalRequested', 'ToolApprovalGranted', 'ToolApprovalDenied', 'ToolApprovalExpired', 'AuthenticationFailed', 'RateLimitLockout', 'EgressPolicyViolationObserved', 'QuotaExceeded']) {
      expect(seen, type).toContain(type);
    }
  });

  it('moves every server through the real state machine, reaching every state', () => {
    const state = new Map<string, ServerState>();
    const reached = new Set<string>();
    for (const event of LONG) {
      if (event.event_type !== 'McpServerStateChanged') continue;
      const id = event.mcp_server_id!;
      const from = event.old_state as ServerState;
      const to = event.new_state as ServerState;
      expect(from).toBe(state.get(id) ?? 'cold');
      expect(SERVER_TRANSITIONS[from], `${id}: ${from} -> ${to}`).toContain(to);
      state.set(id, to);
      reached.add(to);
    }
    expect([...reached].sort()).toEqual(['cold', 'dead', 'degraded', 'initializing', 'ready']);
  });

  it('trips and recovers circuit breakers only along closed -> open -> half_open -> closed | open', () => {
    const breaker = new Map<string, BreakerState>();
    const transitions = new Set<string>();
    for (const event of LONG) {
      if (event.event_type !== 'CircuitBreakerStateChanged') continue;
      const id = event.mcp_server_id!;
      const from = event.old_state as BreakerState;
      const to = event.new_state as BreakerState;
      expect(from).toBe(breaker.get(id) ?? 'closed');
      expect(BREAKER_TRANSITIONS[from]).toContain(to);
      breaker.set(id, to);
      transitions.add(`${from}->${to}`);
    }
    expect([...transitions].sort()).toEqual(['closed->open', 'half_open->closed', 'half_open->open', 'open->half_open']);
  });

  it('opens a breaker only after a run of failed calls on that server', () => {
    const run = new Map<string, number>();
    let opened = 0;
    for (const event of LONG) {
      const id = event.mcp_server_id!;
      if (event.event_type === 'ToolInvocationCompleted') run.set(id, 0);
      // Calls refused at once (degraded, breaker open) do not reach the server and do not count.
      if (event.event_type === 'ToolInvocationFailed' && event.error_type !== 'McpServerDegradedError' && event.error_type !== 'McpServerNotReadyError') run.set(id, (run.get(id) ?? 0) + 1);
      if (event.event_type === 'CircuitBreakerStateChanged' && event.old_state === 'closed') {
        opened++;
        expect(run.get(id) ?? 0).toBeGreaterThanOrEqual(5);
      }
    }
    expect(opened).toBeGreaterThan(0);
  });

  it('pairs every ToolInvocationRequested with exactly one Completed or Failed of the same server and tool', () => {
    const open = new Map<string, HangarEvent>();
    const closed = new Set<string>();
    const errorTypes = new Set<string>();
    const problems: string[] = [];
    let completed = 0;
    for (const event of LONG) {
      const t = event.event_type;
      if (t === 'ToolInvocationRequested') {
        if (open.has(event.correlation_id as string)) problems.push(`duplicate request ${event.correlation_id}`);
        open.set(event.correlation_id as string, event);
      } else if (t === 'ToolInvocationCompleted' || t === 'ToolInvocationFailed') {
        const id = event.correlation_id as string;
        const request = open.get(id);
        if (!request) {
          problems.push(`${t} ${id} without an open request (closed before: ${closed.has(id)})`);
          continue;
        }
        if (event.mcp_server_id !== request.mcp_server_id || event.tool_name !== request.tool_name) problems.push(`${id}: server/tool mismatch`);
        if (JSON.stringify(event.identity_context) !== JSON.stringify(request.identity_context)) problems.push(`${id}: identity mismatch`);
        // duration_ms is the time between request and result, in simulated time.
        const elapsedMs = (event.occurred_at! - request.occurred_at!) * 1000;
        if (Math.abs((event.duration_ms as number) - elapsedMs) > 1) problems.push(`${id}: duration ${event.duration_ms} vs ${elapsedMs}`);
        open.delete(id);
        closed.add(id);
        if (t === 'ToolInvocationFailed') errorTypes.add(event.error_type as string);
        else completed++;
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(open.size).toBeLessThan(50); // only calls still in flight at the end
    expect(completed).toBeGreaterThan(1000);
    for (const type of ['ToolTimeoutError', 'tool_error', '-32603', 'McpServerDegradedError', 'ClientError']) expect(errorTypes).toContain(type);
  });

  it('counts consecutive health check failures per server and resets them on a pass', () => {
    const consecutive = new Map<string, number>();
    for (const event of LONG) {
      const id = event.mcp_server_id!;
      if (event.event_type === 'HealthCheckPassed' || (event.event_type === 'McpServerStateChanged' && event.new_state === 'initializing')) consecutive.set(id, 0);
      if (event.event_type === 'HealthCheckFailed') {
        const expected = (consecutive.get(id) ?? 0) + 1;
        expect(event.consecutive_failures).toBe(expected);
        consecutive.set(id, expected);
      }
    }
  });

  it('discovers servers before registering them, and deregisters only registered ones', () => {
    const registered = new Set<string>();
    const discovered = new Set<string>();
    for (const event of LONG) {
      if (event.event_type === 'McpServerDiscovered') discovered.add(event.mcp_server_name as string);
      if (event.event_type === 'McpServerRegistered') {
        if (event.source === 'discovery') expect(discovered.has(event.mcp_server_id!)).toBe(true);
        expect(registered.has(event.mcp_server_id!)).toBe(false);
        registered.add(event.mcp_server_id!);
      }
      if (event.event_type === 'McpServerDeregistered') {
        expect(registered.delete(event.mcp_server_id!)).toBe(true);
        discovered.delete(event.mcp_server_id!);
      }
      // Servers do work only while registered.
      if (event.event_type === 'ToolInvocationRequested' || event.event_type === 'HealthCheckPassed') {
        expect(registered.has(event.mcp_server_id!)).toBe(true);
      }
    }
  });
});

function collectingSink(): EventSink & { events: HangarEvent[]; waitFor(n: number): Promise<void> } {
  const events: HangarEvent[] = [];
  let waiter: { n: number; resolve: () => void } | undefined;
  return {
    events,
    publish(event) {
      events.push(event);
      if (waiter && events.length >= waiter.n) {
        waiter.resolve();
        waiter = undefined;
      }
    },
    waitFor(n) {
      if (events.length >= n) return Promise.resolve();
      return new Promise((resolve) => (waiter = { n, resolve }));
    },
  };
}

function collectingLog(): SourceLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`) };
}

describe('createSimulatorSource', () => {
  it('at max rate publishes in batches and lets the event loop run between them', async () => {
    const source = createSimulatorSource({ servers: 5, ratePerSec: 'max', seed: 5, clock: new FakeClock() });
    const sink = collectingSink();
    const log = collectingLog();
    const done = source.run(sink, log);
    const seenByOtherWork = await new Promise<number>((resolve) => setImmediate(() => resolve(sink.events.length)));
    expect(seenByOtherWork).toBeGreaterThan(0);
    expect(seenByOtherWork).toBeLessThanOrEqual(2 * MAX_RATE_BATCH);
    await sink.waitFor(10_000);
    source.stop();
    await done;
    const count = sink.events.length;
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.events.length).toBe(count); // nothing after stop
    expect(log.lines[0]).toMatch(/^info demo: simulating 5 MCP servers \(math, fetch, github, filesystem, postgres\) on a current gateway, seed 5/);
    // The seeded sequence is the simulator's at the volume of MAX_RATE_MIX_PER_SEC, re-stamped with the wall clock.
    const reference = take(1_000, { servers: 5, seed: 5, callRate: callRateFor(MAX_RATE_MIX_PER_SEC, measureRates({ servers: 5, seed: 5 })) });
    expect(sink.events.slice(0, 1_000).map((e) => [e.event_id, e.event_type])).toEqual(reference.map((e) => [e.event_id, e.event_type]));
  });

  it('at max rate keeps the mix of a paced --rate 1000 with the same seed: failed calls, types, identity fields (issue 24)', async () => {
    const share = (events: HangarEvent[], test: (e: HangarEvent) => boolean) => events.filter(test).length / events.length;
    const failed = (e: HangarEvent) => e.event_type === 'ToolInvocationFailed';
    const call = (e: HangarEvent) => e.event_type.startsWith('ToolInvocation');
    const withIdentity = (e: HangarEvent) => e.identity_context !== undefined;
    for (const seed of [1, 8]) {
      const source = createSimulatorSource({ servers: 5, ratePerSec: 'max', seed, clock: new FakeClock() });
      const events: HangarEvent[] = [];
      const done = source.run({ publish: (e) => void (events.length < 20_000 ? events.push(e) : source.stop()) }, collectingLog());
      await done;
      const paced = take(20_000, { servers: 5, seed, callRate: callRateFor(1000, measureRates({ servers: 5, seed })) });
      // The first simulated events are the paced run's own, then copies of them.
      expect(events.slice(0, 2_000).map((e) => e.event_type), `seed ${seed}`).toEqual(paced.slice(0, 2_000).map((e) => e.event_type));
      // Before: 5.4% and 8.2% failed (paced 0.8% and 0.6%), 83% calls against 98-99%.
      expect(share(events, failed), `seed ${seed}: failed`).toBeLessThan(2 * share(paced, failed) + 0.002);
      expect(Math.abs(share(events, call) - share(paced, call)), `seed ${seed}: calls`).toBeLessThan(0.02);
      expect(Math.abs(share(events, withIdentity) - share(paced, withIdentity)), `seed ${seed}: identity`).toBeLessThan(0.03);
    }
  }, 90_000); // CPU-bound: 40,000 simulated events per seed

  it('at a steady rate publishes the seeded fleet stamped with the wall clock, paced on the injected clock, until stopped', async () => {
    const clock = new FakeClock();
    const before = clock.now();
    const source = createSimulatorSource({ servers: 3, ratePerSec: 400, seed: 11, clock });
    const sink = collectingSink();
    const stamps: number[] = [];
    const done = source.run({ publish: (e) => (stamps.push(clock.now()), sink.publish(e)) }, collectingLog());
    await clock.runWhile(() => sink.events.length < 400);
    source.stop();
    await done;
    expect(clock.pending).toBe(0);
    // The rate scales the tool-call volume: the same seed at the same rate is the same fleet.
    const reference = take(sink.events.length, { servers: 3, seed: 11, callRate: callRateFor(400, measureRates({ servers: 3, seed: 11 })) });
    expect(sink.events.map((e) => e.event_id)).toEqual(reference.map((e) => e.event_id));
    // Every event is stamped with the clock's time as it goes out, and the clock only waited for the schedule.
    sink.events.forEach((event, i) => expect(event.occurred_at! * 1000).toBe(stamps[i]));
    expect(stamps[0]).toBe(before);
    expect(stamps.every((t, i) => i === 0 || t >= stamps[i - 1]!)).toBe(true);
    expect(stamps.at(-1)! - before).toBeGreaterThan(0);
  });

  it('calibrates the pace on the fleet past its boot, for small and large fleets', () => {
    for (const servers of [1, 5, 300]) {
      const sim = createFleetSimulator({ servers, seed: 3, startMs: 0 });
      while (sim.peekNextAtMs() < 60_000) sim.next();
      let count = 0;
      while (sim.peekNextAtMs() < 60_000 + 900_000) {
        sim.next();
        count++;
      }
      const longRun = count / 900;
      const measured = measureNaturalRate({ servers, seed: 3 });
      expect(measured / longRun, `servers=${servers}`).toBeGreaterThan(0.8);
      expect(measured / longRun, `servers=${servers}`).toBeLessThan(1.25);
    }
  }, 90_000); // CPU-bound: 900 s of a 300-server fleet

  it('at max rate cycles through a pool of simulated events with fresh ids, deterministically', () => {
    const make = () => createMaxRateGenerator(createFleetSimulator({ servers: 5, seed: 8, startMs: START_MS }), 8);
    const a = make();
    const b = make();
    const events = Array.from({ length: MAX_RATE_POOL_SIZE * 2 + 10 }, (_, i) => a.next(1795727378 + i / 1000));
    expect(Array.from({ length: events.length }, (_, i) => b.next(1795727378 + i / 1000))).toEqual(events);
    const first = events.slice(0, 10);
    const second = events.slice(MAX_RATE_POOL_SIZE, MAX_RATE_POOL_SIZE + 10);
    const third = events.slice(2 * MAX_RATE_POOL_SIZE, 2 * MAX_RATE_POOL_SIZE + 10);
    expect(second.map((e) => e.event_type)).toEqual(first.map((e) => e.event_type));
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
    for (const [i, e] of second.entries()) {
      expect(e.occurred_at).toBeCloseTo(1795727378 + (MAX_RATE_POOL_SIZE + i) / 1000, 6);
      if (typeof first[i]!.correlation_id === 'string') {
        expect(e.correlation_id).toBe(`${first[i]!.correlation_id}-2`);
        expect(third[i]!.correlation_id).toBe(`${first[i]!.correlation_id}-3`);
      }
      expect({ ...e, event_id: 0, occurred_at: 0, correlation_id: 0 }).toEqual({ ...first[i]!, event_id: 0, occurred_at: 0, correlation_id: 0 });
    }
    // The pool's own events are left untouched by the copies.
    expect(events[0]!.occurred_at).toBe(1795727378);
  });

  it('at max rate publishes pre-serialized copies that are exactly the events next() yields', () => {
    const make = () => createMaxRateGenerator(createFleetSimulator({ servers: 5, seed: 9, startMs: START_MS }), 9);
    const objects = make();
    const serialized = make();
    const published: { event: HangarEvent; json?: string }[] = [];
    const sink: EventSink = {
      publish: (event) => published.push({ event }),
      publishSerialized: (live) => {
        const { event } = live;
        const wire = live.wire!;
        // A whole unmasked text frame: FIN + text opcode, no mask, the payload's length, then the JSON.
        expect(wire[0]).toBe(0x81);
        const headerLength = textFrameHeaderLengthOf(wire);
        const length = wire[1]! < 126 ? wire[1]! : wire.readUInt16BE(2);
        expect(headerLength + length).toBe(wire.length);
        published.push({ event, json: wire.subarray(headerLength).toString('utf8') });
      },
    };
    const count = MAX_RATE_POOL_SIZE * 3 + 100;
    const expected: HangarEvent[] = [];
    for (let i = 0; i < count; i++) {
      // One stamp per batch, as the driver does, with odd fractions and the width of the text changing now and then.
      const batch = Math.floor(i / 256);
      const stampS = (batch % 7 === 3 ? 99_999_999 : 1795727378) + batch * 0.0137;
      expected.push(objects.next(stampS));
      serialized.publishNext(sink, stampS);
    }
    expect(published).toHaveLength(count);
    // The pool's own events go out as objects (the hub serializes them); every copy after it pre-serialized.
    expect(published.slice(0, MAX_RATE_POOL_SIZE).every((p) => p.json === undefined)).toBe(true);
    expect(published.slice(MAX_RATE_POOL_SIZE).every((p) => typeof p.json === 'string')).toBe(true);
    for (let i = 0; i < count; i++) {
      const { event, json } = published[i]!;
      if (json === undefined) {
        expect(event).toEqual(expected[i]);
        continue;
      }
      const parsed = JSON.parse(json) as HangarEvent;
      expect(parsed).toEqual(expected[i]);
      expect(Object.keys(parsed)).toEqual(Object.keys(expected[i]!)); // the pool event's key order
      // What the hub indexes on matches the text.
      expect(event.event_type).toBe(parsed.event_type);
      expect(event.event_id).toBe(parsed.event_id);
      expect(event.occurred_at).toBe(parsed.occurred_at);
      expect(event.mcp_server_id).toBe(typeof parsed.mcp_server_id === 'string' ? parsed.mcp_server_id : undefined);
    }
    const ids = published.map((p) => p.event.event_id);
    expect(new Set(ids).size).toBe(count);
    for (const id of ids) expect(id).toMatch(UUID);
  });

  it('at max rate keeps every frame intact while later copies are written behind it (frames share slabs)', () => {
    const make = () => createMaxRateGenerator(createFleetSimulator({ servers: 4, seed: 21, startMs: START_MS }), 21);
    const objects = make();
    const serialized = make();
    const wires: Buffer[] = [];
    const expected: HangarEvent[] = [];
    const sink: EventSink = { publish: () => {}, publishSerialized: (live) => wires.push(live.wire!) };
    // Past several slabs' worth of copies; every frame is read only at the end.
    const count = MAX_RATE_POOL_SIZE * 4;
    for (let i = 0; i < count; i++) {
      const stampS = 1795727378 + Math.floor(i / 256) * 0.001;
      const event = objects.next(stampS);
      if (i >= MAX_RATE_POOL_SIZE) expected.push(event);
      serialized.publishNext(sink, stampS);
    }
    expect(wires).toHaveLength(expected.length);
    const slabs = new Set(wires.map((wire) => wire.buffer));
    expect(slabs.size).toBeGreaterThan(1);
    expect(slabs.size).toBeLessThan(wires.length / 25); // ~40 frames a slab (a pool allocation per frame would be ~20)
    for (const [i, wire] of wires.entries()) {
      expect(Buffer.isBuffer(wire)).toBe(true);
      expect(JSON.parse(wire.subarray(textFrameHeaderLengthOf(wire)).toString('utf8'))).toEqual(expected[i]);
    }
  });

  it('at max rate keeps the frames right, byte for byte, when the cycle suffix grows a digit or the time changes width', () => {
    const make = () => createMaxRateGenerator(createFleetSimulator({ servers: 3, seed: 12, startMs: START_MS }), 12);
    const objects = make();
    const serialized = make();
    let last: { event: HangarEvent; json: string } | undefined;
    // Records kept across the resizes (as history keeps them): each still reads its own frame's id afterwards.
    const kept: { event: HangarEvent; expected: HangarEvent }[] = [];
    const sink: EventSink = {
      publish: () => {},
      publishSerialized: (live) => (last = { event: live.event, json: live.frame.toString('utf8') }),
    };
    for (let i = 0; i < MAX_RATE_POOL_SIZE * 11 + 20; i++) {
      // Now and then a batch whose time has one digit less (the templates' time hole changes width, and back).
      const stampS = Math.floor(i / 256) % 5 === 2 ? 99_999_999.5 : 1795727378.25;
      const expected = objects.next(stampS);
      last = undefined;
      serialized.publishNext(sink, stampS);
      // Every copy of cycles 9 to 11 (the suffix grows from -9 to -10), and the first ones of every cycle.
      if (i >= MAX_RATE_POOL_SIZE && (i >= MAX_RATE_POOL_SIZE * 8 || i % MAX_RATE_POOL_SIZE < 20)) {
        // The text the pool event serializes to, with the time as max mode writes it (six decimals).
        const text = JSON.stringify({ ...expected, occurred_at: '~time~' }).replace('"~time~"', stampS.toFixed(6));
        expect(last!.json).toBe(text);
        expect(last!.event.event_id).toBe(expected.event_id);
        if (i % 97 === 0) kept.push({ event: last!.event, expected });
      }
    }
    expect(kept.length).toBeGreaterThan(50);
    for (const { event, expected } of kept) {
      expect(event.event_id).toBe(expected.event_id);
      expect(event.event_type).toBe(expected.event_type);
      expect(event.mcp_server_id).toBe(typeof expected.mcp_server_id === 'string' ? expected.mcp_server_id : undefined);
      expect(event.occurred_at).toBe(Number((expected.occurred_at as number).toFixed(6)));
    }
  });

  it('at max rate publishes a batch exactly as that many publishNext calls would, frame for frame, byte for byte', () => {
    const make = () => createMaxRateGenerator(createFleetSimulator({ servers: 5, seed: 17, startMs: START_MS }), 17);
    const one = make();
    const batched = make();
    const recorder = () => {
      const out: string[] = [];
      const sink: EventSink = {
        publish: (event) => out.push(`object ${JSON.stringify(event)}`),
        publishSerialized: (live) => out.push(`frame ${live.wire!.toString('latin1')} ${live.event.event_id} ${live.event.event_type} ${live.event.occurred_at}`),
      };
      return { out, sink };
    };
    const a = recorder();
    const b = recorder();
    // Batches across the end of the pool and three cycles, the time's text changing width now and then.
    for (let batch = 0; batch < 40; batch++) {
      const stampS = batch % 6 === 4 ? 99_999_999.125 : 1795727378 + batch * 0.0137;
      const count = batch % 3 === 0 ? 256 : 100 + batch;
      for (let i = 0; i < count; i++) one.publishNext(a.sink, stampS);
      batched.publishBatch(b.sink, stampS, count);
    }
    expect(a.out.length).toBeGreaterThan(MAX_RATE_POOL_SIZE * 3);
    expect(a.out.some((line) => line.startsWith('frame '))).toBe(true);
    expect(b.out).toEqual(a.out);
  });

  it('at max rate falls back to whole copies for a sink without the serialized path', () => {
    const generator = createMaxRateGenerator(createFleetSimulator({ servers: 2, seed: 4, startMs: START_MS }), 4);
    const reference = createMaxRateGenerator(createFleetSimulator({ servers: 2, seed: 4, startMs: START_MS }), 4);
    const sink = collectingSink();
    for (let i = 0; i < MAX_RATE_POOL_SIZE + 50; i++) generator.publishNext(sink, 1795727378 + i);
    expect(sink.events).toEqual(Array.from({ length: MAX_RATE_POOL_SIZE + 50 }, (_, i) => reference.next(1795727378 + i)));
  });

  it('writes the same UUIDs as bytes as randomUuid returns as strings', () => {
    const strings = createPrng(77);
    const bytes = createPrng(77);
    const target = Buffer.alloc(40, 0x20);
    const view = new DataView(target.buffer, target.byteOffset, target.length);
    for (let i = 0; i < 5_000; i++) {
      writeRandomUuid(bytes, view, 2);
      expect(target.toString('latin1', 2, 38)).toBe(randomUuid(strings));
    }
    expect(target.toString('latin1', 0, 2) + target.toString('latin1', 38)).toBe('    '); // nothing written outside
  });

  it('frames payloads of every header size as RFC 6455 unmasked text frames', () => {
    for (const length of [0, 125, 126, 65535, 65536]) {
      const headerLength = textFrameHeaderLength(length);
      const frame = Buffer.alloc(headerLength + length);
      writeTextFrameHeader(frame, length);
      expect(frame[0]).toBe(0x81);
      expect(textFrameHeaderLengthOf(frame)).toBe(headerLength);
      const declared = frame[1]! < 126 ? frame[1]! : frame[1] === 126 ? frame.readUInt16BE(2) : Number(frame.readBigUInt64BE(2));
      expect(declared).toBe(length);
    }
  });

  it('refuses a rate that is not positive', () => {
    expect(() => createSimulatorSource({ servers: 1, ratePerSec: 0, clock: new FakeClock() })).toThrow(RangeError);
  });

  it('stop before run makes run return at once', async () => {
    const source = createSimulatorSource({ servers: 1, ratePerSec: 5, clock: new FakeClock() });
    source.stop();
    const sink = collectingSink();
    await source.run(sink, collectingLog());
    expect(sink.events).toEqual([]);
  });
});

describe('the simulated fleet looks like a current gateway', () => {
  const START = Date.UTC(2026, 10, 26, 12, 0, 0);
  const sim = createFleetSimulator({ servers: 5, seed: 424242, startMs: START });
  const events = Array.from({ length: 20_000 }, () => sim.next());
  /** The incident's server from its start until a minute after its end (it recovers then). */
  const inIncident = (e: HangarEvent) =>
    sim.incidents.some((i) => i.serverId === e.mcp_server_id && e.occurred_at! * 1000 >= i.fromMs && e.occurred_at! * 1000 <= i.untilMs + 60_000);

  it('over 20,000 events emits no never-emitted or deprecated type', () => {
    const bad = events.filter((e) => !lookupEventType(e.event_type)?.emitted).map((e) => e.event_type);
    expect([...new Set(bad)]).toEqual([]);
    expect(events.some((e) => 'provider_id' in e || 'provider_name' in e)).toBe(false);
  });
  it('stays under 5% tool errors outside the scripted incidents, on every server, and writes only the error_types Hangar writes', () => {
    const calls = new Map<string, number>();
    const failed = new Map<string, number>();
    for (const e of events) {
      if (inIncident(e)) continue;
      if (e.event_type === 'ToolInvocationRequested') calls.set(e.mcp_server_id!, (calls.get(e.mcp_server_id!) ?? 0) + 1);
      if (e.event_type === 'ToolInvocationFailed') failed.set(e.mcp_server_id!, (failed.get(e.mcp_server_id!) ?? 0) + 1);
    }
    const total = [...calls.values()].reduce((a, b) => a + b, 0);
    const totalFailed = [...failed.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(5_000);
    expect(totalFailed / total).toBeLessThan(0.05);
    expect(totalFailed / total).toBeGreaterThan(0.005); // a real fleet is not perfect either
    for (const [server, n] of calls) expect([server, (failed.get(server) ?? 0) / n < 0.05]).toEqual([server, true]);
    const types = new Set(events.filter((e) => e.event_type === 'ToolInvocationFailed').map((e) => e.error_type as string));
    for (const type of types) expect(HANGAR_ERROR_TYPES as readonly string[]).toContain(type);
  });
  it('has a scripted incident every few minutes, and breakers open only during one', () => {
    const spanMs = sim.nowMs - START;
    expect(sim.incidents.length).toBeGreaterThanOrEqual(Math.floor(spanMs / 360_000));
    for (let i = 1; i < sim.incidents.length; i++) expect(sim.incidents[i]!.fromMs - sim.incidents[i - 1]!.untilMs).toBeGreaterThanOrEqual(180_000);
    const opened = events.filter((e) => e.event_type === 'CircuitBreakerStateChanged' && e.new_state === 'open');
    expect(opened.length).toBeGreaterThan(0);
    for (const e of opened) expect(inIncident(e), `breaker of ${e.mcp_server_id} opened outside an incident`).toBe(true);
    // The incident's server degrades and comes back.
    const degraded = events.filter((e) => e.event_type === 'McpServerDegraded');
    expect(degraded.length).toBeGreaterThan(0);
  });
  it('gives results consistent with the arguments: divide fails exactly when it divides by zero', () => {
    const requests = new Map(events.filter((e) => e.event_type === 'ToolInvocationRequested').map((e) => [e.correlation_id, e]));
    let zero = 0;
    for (const e of events) {
      if (e.tool_name !== 'divide' || (e.event_type !== 'ToolInvocationFailed' && e.event_type !== 'ToolInvocationCompleted')) continue;
      const args = requests.get(e.correlation_id)!.arguments as { b: number };
      const byZero = e.event_type === 'ToolInvocationFailed' && String(e.error_message).includes('division by zero');
      expect(byZero, JSON.stringify(args)).toBe(args.b === 0 && e.event_type === 'ToolInvocationFailed');
      if (args.b === 0) {
        zero++;
        expect(e.event_type).toBe('ToolInvocationFailed');
      }
    }
    expect(zero).toBeGreaterThan(0);
  });
  it('asks for approval on some tools, and every approval is granted, denied or expires', () => {
    const open = new Set<string>();
    let decided = 0;
    for (const e of events) {
      if (e.event_type === 'ToolApprovalRequested') open.add(e.approval_id as string);
      if (e.event_type === 'ToolApprovalGranted' || e.event_type === 'ToolApprovalDenied' || e.event_type === 'ToolApprovalExpired') {
        expect(open.delete(e.approval_id as string)).toBe(true);
        decided++;
      }
    }
    expect(decided).toBeGreaterThan(20);
    expect(open.size).toBeLessThan(10);
  });
  it('does not deregister servers every minute', () => {
    const spanMin = (sim.nowMs - START) / 60_000;
    expect(events.filter((e) => e.event_type === 'McpServerDeregistered').length).toBeLessThan(spanMin / 10);
  });
  it('--rate changes the tool-call volume, not the pace of lifecycle events', () => {
    const perMinute = (callRate: number) => {
      const s = createFleetSimulator({ servers: 5, seed: 99, startMs: START, callRate });
      let health = 0;
      let calls = 0;
      while (s.peekNextAtMs() < START + 1_800_000) {
        const e = s.next();
        if (e.event_type.startsWith('HealthCheck')) health++;
        if (e.event_type === 'ToolInvocationRequested') calls++;
      }
      return { health: health / 30, calls: calls / 30 };
    };
    const slow = perMinute(1);
    const fast = perMinute(10);
    expect(fast.calls / slow.calls).toBeGreaterThan(7);
    expect(fast.health / slow.health).toBeGreaterThan(0.8);
    expect(fast.health / slow.health).toBeLessThan(1.25);
  });
  it('--profile legacy writes what a pre-rename gateway writes: Provider* names and provider_id', () => {
    const legacy = createFleetSimulator({ servers: 5, seed: 424242, startMs: START, profile: 'legacy' });
    const sample = Array.from({ length: 5_000 }, () => legacy.next());
    const current = events.slice(0, 5_000);
    expect(sample.map((e) => e.event_id)).toEqual(current.map((e) => e.event_id));
    expect(sample.some((e) => e.event_type === 'ProviderStarted' && typeof e.provider_id === 'string')).toBe(true);
    expect(sample.some((e) => e.event_type === 'ProviderDiscovered' && typeof e.provider_name === 'string')).toBe(true);
    expect(sample.some((e) => e.event_type.startsWith('McpServer') || 'mcp_server_id' in e)).toBe(false);
  });
});
