import { describe, expect, it } from 'vitest';
import { fuseByReciprocalRank } from './reciprocal-rank-fusion.js';

describe('fuseByReciprocalRank', () => {
  it('ranks an item found by both lists above items found by one', () => {
    const fused = fuseByReciprocalRank([
      ['a', 'b'],
      ['b', 'c'],
    ]);
    expect(fused.map((f) => f.key)).toEqual(['b', 'a', 'c']);
    expect(fused[0]!.score).toBeCloseTo(1 / 62 + 1 / 61, 10);
  });

  it('keeps the order of a single list', () => {
    expect(fuseByReciprocalRank([['x', 'y', 'z']]).map((f) => f.key)).toEqual(['x', 'y', 'z']);
  });

  it('returns nothing for no lists', () => {
    expect(fuseByReciprocalRank([])).toEqual([]);
  });
});
