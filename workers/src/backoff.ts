// Zeebe has no built-in exponential backoff: the worker computes retryBackOff on every failure.

/**
 * Exponential backoff with "equal jitter": attempt 1 → around base, doubling each attempt, capped.
 * The result lies in [exp/2, exp] so it always grows on average but never collapses to zero.
 */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const exp = Math.min(capMs, baseMs * 2 ** (n - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
