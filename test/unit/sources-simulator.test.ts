import { describe, expect, it } from 'vitest';
import type { HangarEvent } from '../../src/protocol/types.js';
import type { EventSink, SourceLog } from '../../src/sources/event-source.js';
import { createMaxRateGenerator, MAX_RATE_POOL_SIZE } from '../../src/sources/fleet/max-rate.js';
import { BREAKER_TRANSITIONS, SERVER_TRANSITIONS, type BreakerState, type ServerState } from '../../src/sources/fleet/model.js';
import { createFleetSimulator, createSimulatorSource, MAX_RATE_BATCH, measureNaturalRate } from '../../src/sources/fleet/simulator.js';
import { createPrng, randomUuid, writeRandomUuid } from '../../src/sources/fleet/prng.js';
import { textFrameHeaderLength, textFrameHeaderLengthOf, writeTextFrameHeader } from '../../src/wire/text-frame.js';

const START_MS = Date.UTC(2026, 10, 26, 12, 0, 0);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function take(n: number, options: { servers: number; seed?: number; producedBy?: string } = { servers: 5, seed: 7 }): HangarEvent[] {
  const sim = createFleetSimulator({ ...options, startMs: START_MS });
  return Array.from({ length: n }, () => sim.next());
}

// A long seeded run shared by the invariant tests (deterministic, so every run checks the same events).
const LONG = take(60_000, { servers: 10, seed: 20261126 });

type Check = (v: unknown) => boolean;
const str: Check = (v) => typeof v === 'string' && v.length > 0;
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const int: Check = (v) => Number.isInteger(v) && (v as number) >= 0;
const oneOf = (...values: string[]): Check => (v) => typeof v === 'string' && values.includes(v);
const objOrNull: Check = (v) => v === null || (typeof v === 'object' && !Array.isArray(v));
const obj: Check = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const states = oneOf('cold', 'initializing', 'ready', 'degraded', 'dead');
const breakerStates = oneOf('closed', 'open', 'half_open');
const mode = oneOf('subprocess', 'docker', 'remote');

/** PROTOCOL.md field shapes, per type. */
const SHAPES: Record<string, Record<string, Check>> = {
  McpServerStarted: { mcp_server_id: str, mode, tools_count: int, startup_duration_ms: num },
  McpServerStopped: { mcp_server_id: str, reason: str },
  McpServerDegraded: { mcp_server_id: str, consecutive_failures: int, total_failures: int, reason: str },
  McpServerStateChanged: { mcp_server_id: str, old_state: states, new_state: states },
  McpServerIdleDetected: { mcp_server_id: str, idle_duration_s: num, last_used_at: num },
  McpServerRegistered: { mcp_server_id: str, source: oneOf('api', 'config', 'discovery'), mode },
  McpServerDeregistered: { mcp_server_id: str, source: oneOf('api', 'config', 'discovery') },
  HealthCheckPassed: { mcp_server_id: str, duration_ms: num },
  HealthCheckFailed: { mcp_server_id: str, consecutive_failures: int, error_message: str },
  ToolInvocationRequested: { mcp_server_id: str, tool_name: str, correlation_id: str, arguments: obj, identity_context: objOrNull },
  ToolInvocationCompleted: { mcp_server_id: str, tool_name: str, correlation_id: str, duration_ms: num, result_size_bytes: int, identity_context: objOrNull },
  ToolInvocationFailed: { mcp_server_id: str, tool_name: str, correlation_id: str, duration_ms: num, error_message: str, error_type: str, identity_context: objOrNull },
  CircuitBreakerStateChanged: { mcp_server_id: str, old_state: breakerStates, new_state: breakerStates },
  McpServerDiscovered: { mcp_server_name: str, source_type: str, mode, fingerprint: str },
  ProviderDiscovered: { provider_name: str, source_type: str, mode, fingerprint: str },
  McpServerDiscoveryLost: { mcp_server_name: str, source_type: str, reason: str },
  DiscoveryCycleCompleted: { discovered_count: int, registered_count: int, deregistered_count: int, quarantined_count: int, error_count: int, duration_ms: num },
  ProviderStarted: { provider_id: str, mode, tools_count: int, startup_duration_ms: num },
  ProviderStopped: { provider_id: str, reason: str },
};

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

  it('emits every common type with the field shapes of PROTOCOL.md', () => {
    const seen = new Set<string>();
    const problems: string[] = [];
    for (const event of LONG) {
      seen.add(event.event_type);
      const shape = SHAPES[event.event_type];
      if (!shape) {
        problems.push(`unexpected type ${event.event_type}`);
        continue;
      }
      for (const [field, check] of Object.entries(shape)) {
        if (!check(event[field])) problems.push(`${event.event_type}.${field} = ${JSON.stringify(event[field])}`);
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    for (const type of Object.keys(SHAPES).filter((t) => !t.startsWith('Provider'))) expect(seen, type).toContain(type);
    expect([...seen].some((t) => t.startsWith('Provider'))).toBe(true);
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
      if (event.event_type === 'ToolInvocationFailed' && event.error_type !== 'CircuitOpenError') run.set(id, (run.get(id) ?? 0) + 1);
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
    for (const type of ['TimeoutError', 'ValidationError', 'CircuitOpenError', 'TransportError']) expect(errorTypes).toContain(type);
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
    const source = createSimulatorSource({ servers: 5, ratePerSec: 'max', seed: 5, now: () => Date.now() });
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
    expect(log.lines[0]).toMatch(/^info demo: simulating 5 MCP servers \(math, fetch, github, filesystem, postgres\), seed 5/);
    // The seeded sequence is the simulator's, re-stamped with the wall clock.
    const reference = take(1_000, { servers: 5, seed: 5 });
    expect(sink.events.slice(0, 1_000).map((e) => [e.event_id, e.event_type])).toEqual(reference.map((e) => [e.event_id, e.event_type]));
  });

  it('at a steady rate publishes the seeded fleet stamped with the wall clock, until stopped', async () => {
    const before = Date.now();
    const source = createSimulatorSource({ servers: 3, ratePerSec: 400, seed: 11, now: () => Date.now() });
    const sink = collectingSink();
    const done = source.run(sink, collectingLog());
    await sink.waitFor(40);
    source.stop();
    await done;
    const after = Date.now();
    const reference = take(sink.events.length, { servers: 3, seed: 11 });
    expect(sink.events.map((e) => e.event_id)).toEqual(reference.map((e) => e.event_id));
    for (const event of sink.events) {
      expect(event.occurred_at! * 1000).toBeGreaterThanOrEqual(before);
      expect(event.occurred_at! * 1000).toBeLessThanOrEqual(after);
    }
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
  });

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
      publishSerialized: (event, wire) => {
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

  it('at max rate keeps the frames right when the cycle suffix grows a digit', () => {
    const make = () => createMaxRateGenerator(createFleetSimulator({ servers: 3, seed: 12, startMs: START_MS }), 12);
    const objects = make();
    const serialized = make();
    let last: { event: HangarEvent; json: string } | undefined;
    const sink: EventSink = {
      publish: () => {},
      publishSerialized: (event, wire) => (last = { event, json: wire.subarray(textFrameHeaderLengthOf(wire)).toString('utf8') }),
    };
    for (let i = 0; i < MAX_RATE_POOL_SIZE * 11 + 20; i++) {
      const expected = objects.next(1795727378.25);
      last = undefined;
      serialized.publishNext(sink, 1795727378.25);
      // Check the copies around each cycle boundary (cycles 9 -> 10 -> 11 included).
      if (i >= MAX_RATE_POOL_SIZE && i % MAX_RATE_POOL_SIZE < 20) {
        expect(JSON.parse(last!.json)).toEqual(expected);
        expect(last!.event.event_id).toBe(expected.event_id);
      }
    }
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
    for (let i = 0; i < 5_000; i++) {
      writeRandomUuid(bytes, target, 2);
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
    expect(() => createSimulatorSource({ servers: 1, ratePerSec: 0, now: () => 0 })).toThrow(RangeError);
  });

  it('stop before run makes run return at once', async () => {
    const source = createSimulatorSource({ servers: 1, ratePerSec: 5, now: () => Date.now() });
    source.stop();
    const sink = collectingSink();
    await source.run(sink, collectingLog());
    expect(sink.events).toEqual([]);
  });
});
