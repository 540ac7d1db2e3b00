import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { EventSink } from '../../src/server/event-sink.js';
import { createMaxRateGenerator } from '../../src/sources/fleet/max-rate.js';
import { createFleetSimulator } from '../../src/sources/fleet/simulator.js';

/**
 * The seeded fleet is a contract: `serve --demo --seed N` must keep yielding
 * the same events when the simulator's code is reorganised. These digests were
 * recorded when the fleet became a current gateway's (catalog types only,
 * Hangar's error types, scripted incidents, approvals and auth events) and
 * again when identity_context took the gateway's shape (user_id, agent_id,
 * principal_type user|service, one tenant per principal, correlation_id); a
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
    publishSerialized: (live) => hash.update(live.wire!).update('\n'),
  };
  for (let i = 0; i < count; i++) generator.publishNext(sink, 1795727378 + Math.floor(i / 256) * 0.0137);
  return hash.digest('hex');
}

describe('the seeded fleet', () => {
  it('yields the same events for the same seed as when recorded', () => {
    expect(digestOfFleet(20261126, 10, 30_000)).toBe('97dc0be62e6c06699abbb03b313166548a8082ebfb7bab6910c78e755e313f46');
    expect(digestOfFleet(7, 3, 5_000)).toBe('b43f3de1913c1acaa90192b0903a006904eaba7989f3dc00229195d4e78dea44');
  });

  it('yields the same max-rate frames for the same seed as when recorded', () => {
    expect(digestOfMaxRate(9, 2_048 * 3 + 100)).toBe('6cdedef7858f9e1d6531d189614df641b94a6b676b6d1c697f81ef3be234e557');
  });
});
