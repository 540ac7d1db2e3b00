/** Reconnect delays: exponential growth, a cap, and jitter so replicas do not reconnect in lockstep. */
export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  readonly initialDelayMs: number;
  /** Upper bound of any delay. */
  readonly maxDelayMs: number;
  /** Growth per attempt. */
  readonly factor: number;
  /** Fraction of the delay that is randomised (0 = none, 1 = full jitter). */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.5 };

/**
 * The delay before retry number `attempt` (1-based): `initial * factor^(attempt-1)`,
 * capped, then reduced by up to `jitter` of itself using `random()` in [0, 1).
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  const raw = Math.min(policy.maxDelayMs, policy.initialDelayMs * Math.pow(policy.factor, exponent));
  const jittered = raw * (1 - policy.jitter * random());
  return Math.max(0, Math.round(jittered));
}
