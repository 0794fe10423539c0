/**
 * Reciprocal-rank fusion: merges ranked lists by Σ 1/(k + rank), rank starting at 1.
 * It needs no score calibration between BM25 and cosine distance, which is why hybrid search uses it;
 * k = 60 is the constant from Cormack et al. (2009).
 *
 * @example
 *   fuseByReciprocalRank([['a', 'b'], ['b', 'c']]); // [{ key: 'b', score: 0.0325… }, { key: 'a', … }, { key: 'c', … }]
 */
export function fuseByReciprocalRank(lists: string[][], k = 60): { key: string; score: number }[] {
  const scores = new Map<string, number>();
  for (const list of lists) {
    list.forEach((key, i) => scores.set(key, (scores.get(key) ?? 0) + 1 / (k + i + 1)));
  }
  return [...scores.entries()]
    .map(([key, score]) => ({ key, score }))
    .sort((a, b) => b.score - a.score || (a.key < b.key ? -1 : 1));
}
