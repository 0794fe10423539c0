/**
 * Known-item retrieval scores: each query has one relevant item; `ranks` holds the 1-based rank
 * at which it was found, or null when it was not in the results.
 */
export interface RetrievalScores {
  queries: number;
  recall_at_1: number;
  recall_at_5: number;
  recall_at_10: number;
  /** Mean reciprocal rank (0 for a miss), over the results returned (top 10 in the evaluation). */
  mrr: number;
}

/**
 * Recall@1/5/10 and MRR from the ranks of the relevant items.
 *
 * @example
 *   scoreRanks([1, 3, null]); // { queries: 3, recall_at_1: 0.333…, recall_at_5: 0.667…, recall_at_10: 0.667…, mrr: 0.444… }
 */
export function scoreRanks(ranks: (number | null)[]): RetrievalScores {
  const n = ranks.length;
  const within = (k: number): number => (n === 0 ? 0 : ranks.filter((r) => r !== null && r <= k).length / n);
  const mrr = n === 0 ? 0 : ranks.reduce<number>((sum, r) => sum + (r === null ? 0 : 1 / r), 0) / n;
  return { queries: n, recall_at_1: within(1), recall_at_5: within(5), recall_at_10: within(10), mrr };
}
