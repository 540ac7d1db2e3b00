import { HEALTH_ERRORS } from './profiles.js';
import { chance, logNormal, pick, pickWeighted, uniform } from './prng.js';
import {
  DEGRADE_AFTER_HEALTH_FAILURES,
  GIVE_UP_AFTER_HEALTH_FAILURES,
  HEALTH_INTERVAL_MS,
  IDLE_AFTER_MS,
  INCIDENT_GAP_MS,
  INCIDENT_LENGTH_MS,
  round,
  transition,
  type FleetWorld,
  type SimServer,
} from './model.js';
import { dispatch, failAll } from './tool-calls.js';

/**
 * A server's life: start (ready, dead or degraded), health checks, crashes
 * and restarts, recovery, going idle and being stopped, and the incidents
 * that make all of it worse for a while.
 */

/** Starts `s` (cold, dead or degraded -> initializing); the outcome of the start follows its startup time. */
export function startServer(w: FleetWorld, s: SimServer): void {
  transition(w, s, 'initializing');
  s.healthFailures = 0; // a fresh process starts a fresh count
  const generation = ++s.generation;
  const startupMs = logNormal(w.rng, s.profile.startupMedianMs, 0.35) * (w.inIncident(s) ? 2 : 1);
  w.after(startupMs, () => {
    if (s.generation !== generation || s.state !== 'initializing') return;
    finishStartup(w, s, startupMs);
  });
}

export function finishStartup(w: FleetWorld, s: SimServer, startupMs: number): void {
  const incident = w.inIncident(s);
  const r = w.rng.next();
  const toReady = incident ? 0.3 : 0.99;
  const toDead = incident ? 0.8 : 0.997;
  const pending = s.pending;
  s.pending = [];
  if (r < toReady) {
    const fields = { mcp_server_id: s.id, mode: s.profile.mode, tools_count: s.profile.toolsCount, startup_duration_ms: round(startupMs, 1) };
    w.emit('McpServerStarted', fields);
    transition(w, s, 'ready');
    s.healthFailures = 0;
    s.lastUsedMs = w.clockMs;
    for (const call of pending) dispatch(w, s, call);
  } else if (r < toDead) {
    transition(w, s, 'dead');
    failAll(w, s, pending, 'McpServerStartError', 'Failed to start mcp_server: process exited with code 1');
    scheduleRestart(w, s);
  } else {
    s.totalFailures++;
    s.healthFailures = 1;
    w.emit('HealthCheckFailed', { mcp_server_id: s.id, consecutive_failures: s.healthFailures, error_message: pick(w.rng, HEALTH_ERRORS) });
    w.emit('McpServerDegraded', { mcp_server_id: s.id, consecutive_failures: s.healthFailures, total_failures: s.totalFailures, reason: 'health check failed right after startup' });
    transition(w, s, 'degraded');
    failAll(w, s, pending, 'McpServerDegradedError', degradedMessage(w));
  }
}

export function scheduleRestart(w: FleetWorld, s: SimServer): void {
  const generation = s.generation;
  w.after(uniform(w.rng, 4_000, 15_000), () => {
    if (s.generation === generation && s.state === 'dead') startServer(w, s);
  });
}

export function stopServer(w: FleetWorld, s: SimServer, reason: string): void {
  const fields = { mcp_server_id: s.id, reason };
  failAll(w, s, s.inflight.values(), 'ClientNotConnectedError', 'Client is not connected');
  s.inflight.clear();
  w.emit('McpServerStopped', fields);
  s.generation++;
  transition(w, s, 'cold');
}

/** One health check of `s`, and the next one scheduled. */
export function healthTick(w: FleetWorld, s: SimServer): void {
  w.after(HEALTH_INTERVAL_MS * uniform(w.rng, 0.9, 1.1), () => healthTick(w, s));
  if (!s.registered || (s.state !== 'ready' && s.state !== 'degraded')) return;
  const incident = w.inIncident(s);
  if (s.state === 'ready' && incident && chance(w.rng, 0.05)) {
    // A crash: the process is gone, in-flight calls fail with it.
    s.generation++;
    transition(w, s, 'dead');
    failAll(w, s, s.inflight.values(), 'ClientError', 'process exited unexpectedly (signal SIGKILL)');
    s.inflight.clear();
    scheduleRestart(w, s);
    return;
  }
  if (chance(w.rng, incident ? 0.75 : 0.015)) {
    s.healthFailures++;
    s.totalFailures++;
    w.emit('HealthCheckFailed', { mcp_server_id: s.id, consecutive_failures: s.healthFailures, error_message: pick(w.rng, HEALTH_ERRORS) });
    if (s.state === 'ready' && s.healthFailures >= DEGRADE_AFTER_HEALTH_FAILURES) {
      w.emit('McpServerDegraded', { mcp_server_id: s.id, consecutive_failures: s.healthFailures, total_failures: s.totalFailures, reason: `${s.healthFailures} consecutive health check failures` });
      transition(w, s, 'degraded');
    } else if (s.state === 'degraded' && s.healthFailures >= GIVE_UP_AFTER_HEALTH_FAILURES) {
      if (chance(w.rng, 0.6)) {
        failAll(w, s, s.inflight.values(), 'ClientNotConnectedError', 'Client is not connected');
        s.inflight.clear();
        startServer(w, s);
      } else {
        stopServer(w, s, 'stopped after repeated health check failures');
      }
    }
    return;
  }
  w.emit('HealthCheckPassed', { mcp_server_id: s.id, duration_ms: round(logNormal(w.rng, 8, 0.5), 2) });
  s.healthFailures = 0;
  if (s.state === 'degraded') {
    failAll(w, s, s.inflight.values(), 'ClientNotConnectedError', 'Client is not connected');
    s.inflight.clear();
    startServer(w, s); // recovery: degraded -> initializing -> ready
    return;
  }
  const idleMs = w.clockMs - s.lastUsedMs;
  if (s.state === 'ready' && s.inflight.size === 0 && idleMs >= IDLE_AFTER_MS) {
    w.emit('McpServerIdleDetected', { mcp_server_id: s.id, idle_duration_s: round(idleMs / 1000, 1), last_used_at: round(s.lastUsedMs / 1000, 6) });
    stopServer(w, s, 'idle');
  }
}

/** What a gateway says when it refuses a call to a degraded server (or one whose breaker is open). */
export function degradedMessage(w: FleetWorld): string {
  return `McpServer is degraded, retry in ${uniform(w.rng, 1, 30).toFixed(1)}s`;
}

/**
 * The scripted incidents: one at a time, every few minutes, on a server that
 * is up (preferably one in use). During its incident a server's health
 * checks and calls mostly fail, so it degrades and its breaker opens; when
 * the incident ends it recovers. Outside incidents the fleet is healthy.
 */
export function scheduleIncident(w: FleetWorld, afterMs: number): void {
  w.after(afterMs, () => {
    const candidates = w.servers.filter((s) => s.registered && s.state === 'ready');
    const pool = candidates.length > 0 ? candidates : w.servers.filter((s) => s.registered);
    if (pool.length > 0) {
      // Busier servers more often: the incident should be seen.
      const s = pickWeighted(w.rng, pool, (c) => c.profile.activeCallsPerSec);
      const lengthMs = uniform(w.rng, INCIDENT_LENGTH_MS[0], INCIDENT_LENGTH_MS[1]);
      s.incidentUntilMs = w.clockMs + lengthMs;
      w.incidents.push({ serverId: s.id, fromMs: w.clockMs, untilMs: s.incidentUntilMs });
      scheduleIncident(w, lengthMs + uniform(w.rng, INCIDENT_GAP_MS[0], INCIDENT_GAP_MS[1]));
    } else {
      scheduleIncident(w, 10_000);
    }
  });
}
