export interface BackoffOptions {
  /** First delay before a reconnect, in ms. */
  initialMs: number;
  /** Ceiling of the delay, in ms. */
  maxMs: number;
  /** Growth per failed attempt. */
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 10_000, factor: 2 };

/**
 * Delay before reconnect attempt `attempt` (0-based): exponential with "full jitter", so that
 * thousands of clients dropped by one node do not all come back in the same millisecond.
 */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * options.factor ** Math.max(0, attempt));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/**
 * Delay before retry `attempt` (0-based) of something the server refused for a transient reason:
 * "full jitter" (anywhere from 0 to the exponential ceiling, so a crowd refused together spreads
 * out), but never sooner than the server asked for.
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * options.factor ** Math.max(0, attempt));
  return Math.max(retryAfterMs ?? 0, Math.round(ceiling * random()));
}
