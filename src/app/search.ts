import { DocSightError } from '../errors.js';
import { searchLibrary, type SearchResponse } from '../find/search-library.js';
import { needsReindex } from '../ingest/reindex-library.js';
import type { SearchFilters } from '../store/library-store.js';
import { DEFAULT_EMBEDDING_MODEL } from '../models/catalog.js';
import { FULL_ACCESS, visibleCollections, type Access } from './access.js';
import type { DocSight } from './docsight.js';

export type { SearchFilters, SearchResponse };

export interface SearchRequest {
  query: string;
  /** Pages wanted, 1 to 1000; default 10. */
  k?: number;
  filters?: SearchFilters;
}

/** The largest `k` a search may ask for. */
export const MAX_SEARCH_K = 1000;

/**
 * Searches the library: hybrid (BM25 + dense, fused by rank) with `library.embeddingModel` set and vectors in
 * the library, BM25 only otherwise. The response's `note` says which, and what to run for better results —
 * how to turn hybrid search on, or that the library needs `docsight docs reindex` — for the shell to show.
 * Only documents `access` may see are searched: the store filters by the key's collections, so neither hits
 * nor their number reveal other collections.
 *
 * @example
 *   const { mode, note, results } = await search(app, { query: '增值税发票', k: 5, filters: { collection: 'invoices' } });
 */
export async function search(
  app: DocSight,
  request: SearchRequest,
  access: Access = FULL_ACCESS,
): Promise<SearchResponse> {
  const k = request.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > MAX_SEARCH_K) {
    throw new DocSightError('BAD_REQUEST', `k must be a whole number from 1 to ${MAX_SEARCH_K}, not ${k}.`);
  }
  const library = app.library();
  const embedder = await app.embedder();
  const collections = visibleCollections(access, request.filters?.collection);
  const response = await searchLibrary(library.store, request.query, {
    k,
    filters: collections ? { ...request.filters, collections } : request.filters,
    embedder,
  });
  const notes = [response.note];
  if (!embedder) {
    notes.push(
      `For hybrid (dense + BM25) search: \`docsight models pull ${DEFAULT_EMBEDDING_MODEL}\`, ` +
        `set "library": {"embeddingModel": "${DEFAULT_EMBEDDING_MODEL}"} in $DOCSIGHT_HOME/config.json ` +
        '(or DOCSIGHT_EMBEDDING_MODEL), then `docsight docs reindex`.',
    );
  } else if (response.mode === 'bm25' && /no vectors/.test(response.note ?? '')) {
    notes.push('Run `docsight docs reindex` to embed it.');
  }
  if (await needsReindex(library)) {
    notes.push('The index was built by an older version: run `docsight docs reindex`.');
  }
  const note = notes.filter(Boolean).join(' ').trim();
  return { ...response, ...(note ? { note } : {}) };
}
