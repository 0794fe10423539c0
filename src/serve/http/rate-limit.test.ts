import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limit.js';

describe('createRateLimiter', () => {
  const clock = () => {
    let t = 0;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('allows a burst of perMinute requests, then refuses with the seconds until the next token', () => {
    const time = clock();
    const limiter = createRateLimiter({ perMinute: 6, now: time.now });
    for (let i = 0; i < 6; i++) expect(limiter.take('a')).toEqual({ allowed: true });
    // One token every 10 s.
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 10 });
    time.advance(4_000);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 6 });
    time.advance(6_000);
    expect(limiter.take('a')).toEqual({ allowed: true });
    expect(limiter.take('a')).toMatchObject({ allowed: false });
  });

  it('keeps one bucket per key: one client at its limit does not slow another', () => {
    const time = clock();
    const limiter = createRateLimiter({ perMinute: 2, now: time.now });
    limiter.take('key:1');
    limiter.take('key:1');
    expect(limiter.take('key:1')).toMatchObject({ allowed: false });
    expect(limiter.take('key:2')).toEqual({ allowed: true });
  });

  it('refills evenly up to the burst size, never beyond it', () => {
    const time = clock();
    const limiter = createRateLimiter({ perMinute: 60, now: time.now });
    limiter.take('a');
    time.advance(3_600_000);
    let allowed = 0;
    while (limiter.take('a').allowed) allowed++;
    expect(allowed).toBe(60);
  });

  it('refuses with at least 1 s, even when the next token is a few milliseconds away', () => {
    const time = clock();
    const limiter = createRateLimiter({ perMinute: 60_000, now: time.now });
    for (let i = 0; i < 60_000; i++) limiter.take('a');
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('forgets buckets that have refilled, so memory follows the clients of the last minute', () => {
    const time = clock();
    const limiter = createRateLimiter({ perMinute: 10, now: time.now, sweepAbove: 3 });
    for (const key of ['a', 'b', 'c']) limiter.take(key);
    expect(limiter.size).toBe(3);
    time.advance(60_000);
    limiter.take('d');
    expect(limiter.size).toBe(1);
  });

  it('refuses a limit of zero: zero means "off" and the server creates no limiter then', () => {
    expect(() => createRateLimiter({ perMinute: 0 })).toThrow(RangeError);
  });
});
