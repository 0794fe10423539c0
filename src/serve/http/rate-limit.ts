/**
 * A token bucket per client: `perMinute` tokens, refilled evenly (one every 60/perMinute s), so a client may
 * burst up to `perMinute` requests and then keeps a steady `perMinute` a minute. Buckets that have refilled
 * completely are forgotten (a full bucket and no bucket behave the same), which keeps memory bounded by the
 * clients seen in the last minute.
 */
export interface RateLimiter {
  /**
   * Takes one token for `key`: `{ allowed: true }`, or `{ allowed: false, retryAfterSeconds }` — the whole
   * seconds until the bucket holds a token again (at least 1), for the Retry-After header.
   */
  take(key: string): { allowed: true } | { allowed: false; retryAfterSeconds: number };
  /** Buckets held (for tests and metrics). */
  readonly size: number;
}

export interface RateLimiterOptions {
  /** Requests a minute, and the largest burst. */
  perMinute: number;
  /** Milliseconds clock; tests pass their own. */
  now?: () => number;
  /** Buckets kept before full ones are swept; default 10 000. */
  sweepAbove?: number;
}

/**
 * @example
 *   const limiter = createRateLimiter({ perMinute: 600 });
 *   const verdict = limiter.take(`key:${keyId}`);
 *   if (!verdict.allowed) reply.header('retry-after', String(verdict.retryAfterSeconds));
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  if (!(options.perMinute > 0)) throw new RangeError('A rate limiter needs perMinute > 0.');
  const now = options.now ?? (() => performance.now());
  const capacity = options.perMinute;
  const perMs = options.perMinute / 60_000;
  const sweepAbove = options.sweepAbove ?? 10_000;
  const buckets = new Map<string, { tokens: number; at: number }>();

  const level = (bucket: { tokens: number; at: number }, t: number) =>
    Math.min(capacity, bucket.tokens + (t - bucket.at) * perMs);

  const sweep = (t: number) => {
    for (const [key, bucket] of buckets) if (level(bucket, t) >= capacity) buckets.delete(key);
  };

  return {
    take(key) {
      const t = now();
      const bucket = buckets.get(key);
      const tokens = bucket ? level(bucket, t) : capacity;
      if (tokens < 1) {
        bucket!.tokens = tokens;
        bucket!.at = t;
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) };
      }
      if (!bucket && buckets.size >= sweepAbove) sweep(t);
      buckets.set(key, { tokens: tokens - 1, at: t });
      return { allowed: true };
    },
    get size() {
      return buckets.size;
    },
  };
}
