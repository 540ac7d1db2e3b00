import { chance, exponential, pick, pickWeighted, randomHex, randomInt } from './prng.js';
import type { FleetWorld } from './model.js';

/**
 * What else a gateway's stream carries besides the servers' lives: now and
 * then a client authenticates (or fails to, and after a run of failures its
 * address is locked out), a principal is refused an action, a tool call
 * would break the egress policy, a tenant nears or hits its quota.
 */

/** Mean time between such events, simulated ms. */
export const SECURITY_MEAN_GAP_MS = 25_000;

const IPS = ['10.0.3.17', '10.0.8.42', '192.168.1.20', '172.16.4.9'];
const PRINCIPALS = ['user:ada', 'user:grace', 'service:ci-bot', 'service:agent-7'];
const TENANTS = ['acme', 'globex'];

type Kind = 'auth-ok' | 'auth-failed' | 'lockout' | 'denied' | 'egress' | 'quota-warning' | 'quota-exceeded';
const KINDS: readonly { kind: Kind; weight: number }[] = [
  { kind: 'auth-ok', weight: 8 },
  { kind: 'auth-failed', weight: 3 },
  { kind: 'lockout', weight: 0.6 },
  { kind: 'denied', weight: 1.5 },
  { kind: 'egress', weight: 1.5 },
  { kind: 'quota-warning', weight: 1 },
  { kind: 'quota-exceeded', weight: 0.4 },
];

/** The next such event after a random quiet time, and the one after it. */
export function scheduleSecurityEvent(w: FleetWorld): void {
  w.after(exponential(w.rng, SECURITY_MEAN_GAP_MS), () => {
    emitSecurityEvent(w, pickWeighted(w.rng, KINDS, (k) => k.weight).kind);
    scheduleSecurityEvent(w);
  });
}

function emitSecurityEvent(w: FleetWorld, kind: Kind): void {
  switch (kind) {
    case 'auth-ok': {
      const principal = pick(w.rng, PRINCIPALS);
      w.emit('AuthenticationSucceeded', {
        principal_id: principal,
        principal_type: principal.startsWith('service:') ? 'service_account' : 'user',
        auth_method: pick(w.rng, ['api_key', 'api_key', 'jwt']),
        source_ip: pick(w.rng, IPS),
        tenant_id: pick(w.rng, TENANTS),
      });
      return;
    }
    case 'auth-failed':
      w.emit('AuthenticationFailed', {
        auth_method: pick(w.rng, ['api_key', 'jwt']),
        source_ip: pick(w.rng, IPS),
        reason: pick(w.rng, ['Invalid credentials', 'Credentials have expired', 'Credentials have been revoked']),
        attempted_principal_id: chance(w.rng, 0.5) ? pick(w.rng, PRINCIPALS) : null,
      });
      return;
    case 'lockout': {
      // A client retrying a bad key: a run of failures, then its address is locked out, later unlocked.
      const ip = `203.0.113.${randomInt(w.rng, 2, 250)}`;
      const attempts = randomInt(w.rng, 5, 8);
      for (let i = 0; i < attempts; i++) w.emit('AuthenticationFailed', { auth_method: 'api_key', source_ip: ip, reason: 'Invalid credentials', attempted_principal_id: null });
      const lockoutS = pick(w.rng, [60, 300]);
      w.emit('RateLimitLockout', { source_ip: ip, lockout_duration_seconds: lockoutS, lockout_count: 1, failed_attempts: attempts });
      w.after(lockoutS * 1000, () => w.emit('RateLimitUnlock', { source_ip: ip, lockout_count: 1, unlock_reason: 'expired' }));
      return;
    }
    case 'denied':
      w.emit('AuthorizationDenied', {
        principal_id: pick(w.rng, PRINCIPALS),
        action: pick(w.rng, ['invoke', 'write', 'admin']),
        resource_type: pick(w.rng, ['tool', 'mcp_server']),
        resource_id: pick(w.rng, ['github:create_issue', 'filesystem:write_file', 'postgres']),
        reason: 'no role grants this permission',
      });
      return;
    case 'egress': {
      const targets = w.servers.filter((s) => s.registered && (s.profile.name.startsWith('fetch') || s.profile.name.startsWith('puppeteer') || s.profile.name.startsWith('github')));
      const s = targets.length > 0 ? pick(w.rng, targets) : undefined;
      if (s === undefined) return;
      const tool = pick(w.rng, s.profile.tools);
      w.emit('EgressPolicyViolationObserved', {
        mcp_server_id: s.id,
        tool_name: tool.name,
        would_be_action: pick(w.rng, ['deny', 'deny', 'require_approval']),
        reasons: [pick(w.rng, ['destination not in allow list: pastebin.com', 'payload matches secret pattern: aws_access_key', 'payload exceeds max_payload_bytes'])],
        correlation_id: `c-${randomHex(w.rng, 8)}`,
        identity_context: null,
        schema_version: 1,
      });
      return;
    }
    case 'quota-warning': {
      const limit = pick(w.rng, [10_000, 50_000]);
      const percentage = pick(w.rng, [80, 90]);
      w.emit('QuotaWarningThresholdReached', { tenant_id: pick(w.rng, TENANTS), resource_type: 'tool_calls', current_usage: Math.round((limit * percentage) / 100), limit, percentage });
      return;
    }
    case 'quota-exceeded': {
      const limit = pick(w.rng, [10_000, 50_000]);
      w.emit('QuotaExceeded', { tenant_id: pick(w.rng, TENANTS), resource_type: 'tool_calls', requested: 1, current_usage: limit, limit });
      return;
    }
  }
}
