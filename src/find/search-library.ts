import type { Quad } from '../read/types.js';
import type { LibraryStore, SearchFilters } from '../store/library-store.js';
import type { Embedder } from './embedder.js';
import { highlightTerms, lineMatches } from './highlight-snippet.js';
import { fuseByReciprocalRank } from './reciprocal-rank-fusion.js';
import { queryTerms } from '../text/search-terms.js';

/** Terms in more than this share of all chunks are left out of OR queries (when rarer terms remain). */
const COMMON_TERM_SHARE = 0.2;

/**
 * The terms of the OR fallback. A term found in a fifth of the library barely moves BM25, but OR-ing
 * it makes FTS5 score most of the library (the slowest queries at 100 k pages): match on the rarer
 * terms only. Small libraries (< 1 000 chunks) are cheap to score whole and keep every term.
 */
async function orTerms(store: LibraryStore, terms: string[]): Promise<string[]> {
  const { chunks, counts } = await store.termChunkCounts(terms);
  if (chunks < 1000) return terms;
  const rare = terms.filter((t) => (counts.get(t) ?? 0) <= chunks * COMMON_TERM_SHARE);
  return rare.length > 0 ? rare : terms;
}

export interface SearchOptions {
  /** Results wanted (pages). */
  k?: number;
  filters?: SearchFilters;
  /** With an embedder (and vectors in the library) search is hybrid: BM25 and dense, fused by rank. */
  embedder?: Embedder;
}

export interface SearchResult {
  documentId: number;
  documentName: string;
  page: number;
  /** Higher is better. BM25 mode: −bm25 of the best chunk; hybrid: the reciprocal-rank-fusion score. */
  score: number;
  /** The matching lines with matches in [brackets], up to ~240 characters. */
  snippet: string;
  /** Boxes (page pixels) of the lines that match the query. */
  boxes: Quad[];
}

export interface SearchResponse {
  mode: 'bm25' | 'hybrid';
  /** Why the search ran as it did, e.g. "no embedding model configured: BM25 only". */
  note?: string;
  results: SearchResult[];
}

/**
 * Searches the library: full text (FTS5, BM25) over jieba-segmented, stemmed terms, plus dense
 * retrieval fused by reciprocal rank when an embedder is given. Results are pages, best first.
 *
 * All query terms must match first (precise, fast); when that gives fewer than `k` pages, pages
 * matching any term follow, ranked by BM25 — long or noisy queries (OCR errors) still find their page.
 *
 * @example
 *   const { results } = await searchLibrary(library.store, '增值税发票 2018-02-12', { k: 5 });
 *   results[0]; // { documentName: 'invoice.pdf', page: 1, snippet: '[增值税]专用[发票] …', boxes: [[…]] }
 */
export async function searchLibrary(
  store: LibraryStore,
  query: string,
  options: SearchOptions = {},
): Promise<SearchResponse> {
  const k = options.k ?? 10;
  const filters = options.filters ?? {};
  const terms = queryTerms(query);
  if (terms.length === 0) return { mode: 'bm25', note: 'The query has no searchable words.', results: [] };

  const pageKey = (documentId: number, page: number): string => `${documentId}:${page}`;
  // Best chunk per page, in rank order.
  const bm25 = new Map<string, { chunkId: number; score: number }>();
  const collect = (hits: { chunkId: number; documentId: number; page: number; score: number }[]): void => {
    for (const h of hits) {
      const key = pageKey(h.documentId, h.page);
      if (!bm25.has(key)) bm25.set(key, { chunkId: h.chunkId, score: -h.score });
    }
  };
  collect(await store.searchChunks({ terms, match: 'all' }, filters, k * 3));
  if (bm25.size < k && terms.length > 1)
    collect(await store.searchChunks({ terms: await orTerms(store, terms), match: 'any' }, filters, k * 3));

  let mode: SearchResponse['mode'] = 'bm25';
  let note: string | undefined;
  let ranked: { key: string; chunkId: number; score: number }[] = [...bm25.entries()].map(([key, v]) => ({
    key,
    ...v,
  }));

  const index = options.embedder ? await store.vectorIndexInfo() : undefined;
  if (!options.embedder) {
    note = 'No embedding model configured: BM25 only.';
  } else if (!index) {
    note = 'The library has no vectors yet: BM25 only.';
  } else if (index.model !== options.embedder.model || index.dimensions !== options.embedder.dimensions) {
    // Vectors of two models are not comparable: never mix them.
    note = `The library's vectors come from ${index.model}, not the configured ${options.embedder.model}: BM25 only.`;
  } else {
    mode = 'hybrid';
    const [vector] = await options.embedder.embed([query], 'query');
    const dense = new Map<string, number>();
    for (const h of await store.nearestChunks(vector!, filters, k * 3)) {
      const key = pageKey(h.documentId, h.page);
      if (!dense.has(key)) dense.set(key, h.chunkId);
    }
    const fused = fuseByReciprocalRank([[...bm25.keys()], [...dense.keys()]]);
    ranked = fused.map(({ key, score }) => ({
      key,
      score,
      chunkId: bm25.get(key)?.chunkId ?? dense.get(key)!,
    }));
  }

  ranked = ranked.slice(0, k);
  const details = await store.chunkDetails(ranked.map((r) => r.chunkId));
  const termSet = new Set(terms);
  const results: SearchResult[] = [];
  for (const r of ranked) {
    const d = details.get(r.chunkId);
    if (!d) continue;
    const matching = d.lines.filter((l) => lineMatches(l.text, termSet));
    const shown = (matching.length > 0 ? matching : d.lines.slice(0, 2)).map((l) => l.text);
    let snippet = highlightTerms(shown.join(' … '), termSet);
    if (snippet.length > 240) snippet = `${snippet.slice(0, 239)}…`;
    results.push({
      documentId: d.documentId,
      documentName: d.documentName,
      page: d.page,
      score: r.score,
      snippet,
      boxes: matching.map((l) => l.box),
    });
  }
  return { mode, note, results };
}
