import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { EventSink } from '../../src/server/event-sink.js';
import { createMaxRateGenerator } from '../../src/sources/fleet/max-rate.js';
import { createFleetSimulator } from '../../src/sources/fleet/simulator.js';

/**
 * The seeded fleet is a contract: `serve --demo --seed N` must keep yielding
 * the same events when the simulator's code is reorganised. These digests were
 * recorded when the fleet became a current gateway's (catalog types only,
 * Hangar's error types, scripted incidents, approvals and auth events); a
 * change to the fleet's behaviour shows up here and must be deliberate (then
 * record the new digests). Re-recorded when approvals became a gateway's:
 * UUID approval ids, the SHA-256 arguments_hash, a 300 s expiry, and a gated
 * call's ToolInvocationRequested only after its ToolApprovalGranted (none after
 * a denial or an expiry).
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
  it('yields the same events for the same seed as when recorded', () => {
    expect(digestOfFleet(20261126, 10, 30_000)).toBe('691c18503889c6b826b33dc8bbf16c7b6159d52d7bf4308cc58d40acd0b11d5d');
    expect(digestOfFleet(7, 3, 5_000)).toBe('fd55af32797f60eebb8c7ef216d2f7334832c76f572b13ea7cabeca87d2fa014');
  });

  it('yields the same max-rate frames for the same seed as when recorded', () => {
    expect(digestOfMaxRate(9, 2_048 * 3 + 100)).toBe('12907c55589aa36d77bcb7eca246128af4f3d84728efc7f24a7689414ff21b22');
  });
});
