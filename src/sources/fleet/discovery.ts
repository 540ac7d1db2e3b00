import { chance, pick, randomHex, uniform } from './prng.js';
import { DISCOVERY_INTERVAL_MS, type FleetWorld } from './model.js';

/**
 * Discovery: every DISCOVERY_INTERVAL_MS a cycle finds the discovery servers
 * not yet registered (Discovered + Registered) and, rarely, loses a cold one
 * (DiscoveryLost + Deregistered). A current gateway reports no cycle summary
 * (`DiscoveryCycleCompleted` is defined but never emitted).
 */

/** Chance per cycle that a registered, cold discovery server disappears from its source. */
export const LOSS_PER_CYCLE = 0.01;

/** One discovery cycle, and the next one scheduled. */
export function discoveryCycle(w: FleetWorld): void {
  w.after(DISCOVERY_INTERVAL_MS * uniform(w.rng, 0.95, 1.05), () => discoveryCycle(w));
  for (const s of w.servers) {
    if (s.profile.origin !== 'discovery') continue;
    if (!s.registered && w.clockMs >= s.lostUntilMs) {
      w.emit('McpServerDiscovered', { mcp_server_name: s.id, source_type: s.profile.sourceType, mode: s.profile.mode, fingerprint: `sha256:${randomHex(w.rng, 16)}` });
      w.emit('McpServerRegistered', { mcp_server_id: s.id, source: 'discovery', mode: s.profile.mode });
      s.registered = true;
      s.lastUsedMs = w.clockMs;
    } else if (s.registered && s.state === 'cold' && s.pending.length === 0 && chance(w.rng, LOSS_PER_CYCLE)) {
      w.emit('McpServerDiscoveryLost', { mcp_server_name: s.id, source_type: s.profile.sourceType, reason: pick(w.rng, ['container removed', 'source no longer lists the server', 'pod deleted']) });
      w.emit('McpServerDeregistered', { mcp_server_id: s.id, source: 'discovery' });
      s.registered = false;
      s.lostUntilMs = w.clockMs + uniform(w.rng, 45_000, 120_000);
    }
  }
}
