import { chance, logNormal, pick, randomHex, uniform } from './prng.js';
import { DISCOVERY_INTERVAL_MS, round, type FleetWorld } from './model.js';

/**
 * Discovery: every DISCOVERY_INTERVAL_MS a cycle finds the discovery servers
 * not yet registered (Discovered + Registered), now and then loses a cold one
 * (DiscoveryLost + Deregistered), and reports the cycle.
 */

/** One discovery cycle, and the next one scheduled. */
export function discoveryCycle(w: FleetWorld): void {
  w.after(DISCOVERY_INTERVAL_MS * uniform(w.rng, 0.95, 1.05), () => discoveryCycle(w));
  let discovered = 0;
  let registered = 0;
  let deregistered = 0;
  const cycleStartMs = w.clockMs;
  for (const s of w.servers) {
    if (s.profile.origin !== 'discovery') continue;
    if (!s.registered && w.clockMs >= s.lostUntilMs) {
      const fields = { mcp_server_name: s.id, source_type: s.profile.sourceType, mode: s.profile.mode, fingerprint: `sha256:${randomHex(w.rng, 16)}` };
      w.emit('McpServerDiscovered', fields);
      w.maybeAlias('McpServerDiscovered', fields);
      w.emit('McpServerRegistered', { mcp_server_id: s.id, source: 'discovery', mode: s.profile.mode });
      s.registered = true;
      s.lastUsedMs = w.clockMs;
      discovered++;
      registered++;
    } else if (s.registered && s.state === 'cold' && s.pending.length === 0 && chance(w.rng, 0.08)) {
      w.emit('McpServerDiscoveryLost', { mcp_server_name: s.id, source_type: s.profile.sourceType, reason: pick(w.rng, ['container removed', 'source no longer lists the server', 'pod deleted']) });
      w.emit('McpServerDeregistered', { mcp_server_id: s.id, source: 'discovery' });
      s.registered = false;
      s.lostUntilMs = w.clockMs + uniform(w.rng, 45_000, 120_000);
      deregistered++;
    }
  }
  const quarantined = chance(w.rng, 0.05) ? 1 : 0;
  const errors = chance(w.rng, 0.04) ? 1 : 0;
  w.emit('DiscoveryCycleCompleted', {
    discovered_count: discovered,
    registered_count: registered,
    deregistered_count: deregistered,
    quarantined_count: quarantined,
    error_count: errors,
    duration_ms: round(Math.max(w.clockMs - cycleStartMs, 0) + logNormal(w.rng, 45, 0.5), 1),
  });
}
