import { describe, expect, it } from 'vitest';
import { seededRandom } from './seeded-random.js';

describe('seededRandom', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const take = (seed: number) => Array.from({ length: 5 }, seededRandom(seed).next);
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
  });

  it('stays inside the requested range', () => {
    const rng = seededRandom(1);
    for (let i = 0; i < 1000; i++) {
      const x = rng.between(1.5, 4);
      expect(x).toBeGreaterThanOrEqual(1.5);
      expect(x).toBeLessThan(4);
    }
  });

  it('draws Gaussian values with mean about 0 and deviation about 1', () => {
    const rng = seededRandom(3);
    const xs = Array.from({ length: 20000 }, rng.gaussian);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(sd - 1)).toBeLessThan(0.05);
  });
});
