import { describe, expect, it } from 'vitest';
import { matchesGatewayPattern } from '../../src/protocol/filter.js';
import { compileTypePatterns } from '../../src/protocol/type-patterns.js';
import { Hub } from '../../src/server/hub.js';
import { Subscriber } from '../../src/server/subscriber.js';
import type { Transport } from '../../src/wire/ws-transport.js';
import { createRng, hostileSeed, seedNote } from '../helpers/hostile-fuzz.js';

const reference = (patterns: readonly string[], type: string): boolean => patterns.some((pattern) => matchesGatewayPattern(pattern, type));

describe('compileTypePatterns', () => {
  it('agrees with matchesGatewayPattern on exact names, segment patterns, invalid patterns and edge cases', () => {
    const patterns = ['McpServerStarted', 'tools/*', '*/request', 'a/*/c', 'Health*', 'x/He*/y', '', 'p//q', '*/*/*/z'];
    const types = ['McpServerStarted', 'McpServerStarte', 'tools/call', 'tools', 'tools/call/x', 'x/request', 'request', 'a/b/c', 'a/b/d', 'a/c', 'HealthCheckPassed', 'Health*', 'x/He*/y', '', 'p//q', 'p/q', '/', 'a/b/c/z', '1/2/3/z', '*/request', 'tools/'];
    const matcher = compileTypePatterns(patterns);
    for (const type of types) expect(matcher(type), type).toBe(reference(patterns, type));
    expect(compileTypePatterns(['*'])('anything/at/all')).toBe(true);
    expect(compileTypePatterns([])('x')).toBe(false);
    expect(compileTypePatterns(['Health*'])('HealthCheckPassed')).toBe(false);
  });

  it('agrees with matchesGatewayPattern on seeded random patterns and types, also after its state cache was dropped', () => {
    const seed = hostileSeed();
    const rng = createRng(seed);
    const alphabet = ['a', 'b', 'c', 'tools', 'x'];
    const randomType = (segments: number) => Array.from({ length: segments }, () => (rng.chance(0.1) ? `n${rng.int(0, 1e6)}` : rng.pick(alphabet))).join('/');
    // Pattern i names `x` at segment i only: the alive sets are all subsets (2^20), far more states than the cache keeps.
    const oneLiteralEach = Array.from({ length: 20 }, (_, i) => Array.from({ length: 20 }, (_, j) => (i === j ? 'x' : '*')).join('/'));
    for (let round = 0; round < 21; round++) {
      const patterns =
        round === 0
          ? oneLiteralEach
          : Array.from({ length: rng.int(1, 60) }, () =>
              Array.from({ length: rng.int(1, 8) }, () => (rng.chance(0.4) ? '*' : rng.chance(0.05) ? 'b*' : rng.pick(alphabet))).join('/'),
            );
      const matcher = compileTypePatterns(patterns);
      // Thousands of types over few segment values build many states: the budget is crossed and the cache rebuilt.
      const wrong: string[] = [];
      for (let i = 0; i < 3000; i++) {
        const type = round === 0 ? Array.from({ length: 20 }, () => (rng.chance(0.5) ? 'y' : 'x')).join('/') : randomType(rng.int(1, 8));
        if (matcher(type) !== reference(patterns, type)) wrong.push(type);
      }
      expect(wrong, `${JSON.stringify(patterns)} ${seedNote(seed)}`).toEqual([]);
    }
  });
});

describe('Hub: 10 clients with 256 patterns of 30 segments, every event type new (issue 22 #2)', () => {
  it('costs a publish no scan over the patterns: the work per event does not grow with their number', () => {
    const hub = new Hub({ historySize: 10, historyBytes: 1 << 20, now: () => 0 });
    const received: number[] = [];
    const transport: Transport = { send: (_frame, done) => (received.push(1), done?.()), bufferedAmount: 0, cork() {}, uncork() {} };
    const segments = (prefix: string, last: string) => `${prefix}${last}`;
    const thirty = 'a/'.repeat(29);
    // Literal prefixes that every new type walks deep into, and wildcards in several places.
    const patterns = Array.from({ length: 256 }, (_, i) =>
      i % 3 === 0 ? segments(thirty, `x${i}`) : i % 3 === 1 ? segments(`*/${'a/'.repeat(28)}`, `y${i}`) : segments(`a/*/${'a/'.repeat(27)}`, `z${i}`),
    );
    for (let c = 0; c < 10; c++) {
      const subscriber = new Subscriber({
        transport,
        limits: { queueSize: 100, queueBytes: 1 << 20, highWaterMarkBytes: 1 << 20, maxPendingControls: 100 },
        stats: hub.stats,
        monotonicMs: () => 0,
        schedule: (flush) => flush(),
      });
      hub.attach(subscriber);
      hub.subscribe(subscriber, { type: 'subscribe', event_types: patterns });
    }
    received.length = 0;
    const every = Array.prototype.every;
    const some = Array.prototype.some;
    const split = String.prototype.split;
    let scans = 0;
    Array.prototype.every = function (this: unknown[], ...args: Parameters<typeof every>) {
      scans++;
      return every.apply(this, args);
    } as typeof every;
    Array.prototype.some = function (this: unknown[], ...args: Parameters<typeof some>) {
      scans++;
      return some.apply(this, args);
    } as typeof some;
    String.prototype.split = function (this: string, ...args: Parameters<typeof split>) {
      scans++;
      return split.apply(this, args);
    } as typeof split;
    const published = 3000;
    try {
      for (let i = 0; i < published; i++) {
        // Each type is new; every third one matches (x3 at the end of a/a/.../a).
        const last = i % 3 === 0 ? 'x3' : `new${i}`;
        hub.publish({ event_type: `${thirty}${last}`, event_id: `e${i}`, occurred_at: 1 });
      }
    } finally {
      Array.prototype.every = every;
      Array.prototype.some = some;
      String.prototype.split = split;
    }
    // Was 10 clients x 3000 types x (1 + 256) array scans; now a few while the first states are built.
    expect(scans, 'array scans and string splits for 3000 publishes to 10 clients').toBeLessThanOrEqual(10 * 64);
    expect(received).toHaveLength(10 * (published / 3));
  });
});
