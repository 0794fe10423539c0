import { describe, expect, it } from 'vitest';
import { scoreRanks } from './retrieval-metrics.js';

describe('scoreRanks', () => {
  it('computes recall at 1, 5, 10 and mean reciprocal rank', () => {
    const s = scoreRanks([1, 3, 7, null]);
    expect(s.queries).toBe(4);
    expect(s.recall_at_1).toBe(0.25);
    expect(s.recall_at_5).toBe(0.5);
    expect(s.recall_at_10).toBe(0.75);
    expect(s.mrr).toBeCloseTo((1 + 1 / 3 + 1 / 7) / 4, 10);
  });

  it('scores no queries as zeros rather than NaN', () => {
    expect(scoreRanks([])).toEqual({ queries: 0, recall_at_1: 0, recall_at_5: 0, recall_at_10: 0, mrr: 0 });
  });
});
