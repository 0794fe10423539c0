/** A seeded random source, so a generated test set is the same on every run and every machine. */
export interface SeededRandom {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [min, max). */
  between(min: number, max: number): number;
  /** Standard normal (mean 0, deviation 1). */
  gaussian(): number;
}

/**
 * mulberry32: a tiny 32-bit generator, plenty for picking blur radii and noise; not for cryptography.
 *
 * @example
 *   const rng = seededRandom(42);
 *   rng.between(1, 4); // the same number on every run
 */
export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    between: (min, max) => min + (max - min) * next(),
    // Box-Muller; 1 - next() keeps the logarithm's argument above zero.
    gaussian: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
  };
}
