import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { EventSink } from '../../src/sources/event-source.js';
import { createMaxRateGenerator } from '../../src/sources/fleet/max-rate.js';
import { createFleetSimulator } from '../../src/sources/fleet/simulator.js';

/**
 * The seeded fleet is a contract: `serve --demo --seed N` must keep yielding
 * the same events when the simulator's code is reorganised. These digests were
 * recorded from the simulator before it was split into modules; a change to
 * the fleet's behaviour shows up here and must be deliberate (then record the
 * new digests).
 */
const START_MS = Date.UTC(2026, 10, 26, 12, 0, 0);

function digestOfFleet(seed: number, servers: number, count: number): string {
  const sim = createFleetSimulator({ servers, seed, startMs: START_MS });
  const hash = createHash('sha256');
  for (let i = 0; i < count; i++) hash.update(`${JSON.stringify(sim.next())}\n`);
  return hash.digest('hex');
}

function digestOfMaxRate(seed: number, count: number): string {
  const generator = createMaxRateGenerator(createFleetSimulator({ servers: 5, seed, startMs: START_MS }), seed);
  const hash = createHash('sha256');
  const sink: EventSink = {
    publish: (event) => hash.update(`object ${JSON.stringify(event)}\n`),
    publishSerialized: (_event, wire) => hash.update(wire).update('\n'),
  };
  for (let i = 0; i < count; i++) generator.publishNext(sink, 1795727378 + Math.floor(i / 256) * 0.0137);
  return hash.digest('hex');
}

describe('the seeded fleet', () => {
  it('yields the same events for the same seed as before the simulator was split', () => {
    expect(digestOfFleet(20261126, 10, 30_000)).toBe('56d7b7a942f9f749c84b425d692abd1d1cb38ac4b8ca7f1a056322bd793ee4d8');
    expect(digestOfFleet(7, 3, 5_000)).toBe('024baa249ecd8960904a15a0f8c32b806243238fba14291d27ab297555954250');
  });

  it('yields the same max-rate frames for the same seed as before the simulator was split', () => {
    expect(digestOfMaxRate(9, 2_048 * 3 + 100)).toBe('d8895f66e0cfe775ab465220235a8652d93b8a850cd1b55261d1acff4bd2c1a4');
  });
});
