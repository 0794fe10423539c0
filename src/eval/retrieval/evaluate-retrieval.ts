import { basename } from 'node:path';
import type { Config } from '../../config/config.js';
import type { Embedder } from '../../find/embedder.js';
import { searchLibrary } from '../../find/search-library.js';
import { addToLibrary } from '../../ingest/add-to-library.js';
import { embedMissingChunks } from '../../ingest/embed-missing-chunks.js';
import { startIngestWorkers } from '../../ingest/ingest-workers.js';
import { createLibraryPageReader } from '../../ingest/library-page-reader.js';
import type { PageReader } from '../../ingest/page-reader.js';
import { needsReindex, reindexLibrary } from '../../ingest/reindex-library.js';
import type { Library } from '../../store/library.js';
import type { RetrievalDataset } from './known-item-queries.js';
import { scoreRanks, type RetrievalScores } from './retrieval-metrics.js';

export interface RetrievalEvaluation {
  scores: RetrievalScores;
  /** Corpus pages ingested in this run (0 when an earlier library was reused). */
  ingestedPages: number;
  ingestSeconds: number;
  /** Query latency, milliseconds. */
  queryMsP50: number;
  queryMsP95: number;
  /** Up to 20 queries whose target was not in the top 10, for reading. */
  misses: { query: string; target: string; top: string[] }[];
  failedDocuments: string[];
  /** 'hybrid' when every query ran BM25 + dense (an embedder was given), else 'bm25'. */
  mode: 'bm25' | 'hybrid';
  /** Chunks embedded in this run (at ingest, or filled in for a reused library), and the time it took. */
  embeddedChunks: number;
  embedSeconds: number;
}

export interface EvaluateOptions {
  config: Config;
  /** A page reader other than the default (plain text, PDF text layer or OCR). */
  readPages?: PageReader;
  /** With an embedder the corpus is embedded and every query runs hybrid (BM25 + dense). */
  embedder?: Embedder;
  onIngest?(pagesDone: number, documentsDone: number, documents: number): void;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Ingests the dataset's corpus into `library` (files already there are not read again, so a
 * library from an earlier run is reused) and runs its known-item queries through `searchLibrary`,
 * limited to the dataset's collection. Returns Recall@1/5/10, MRR and the misses.
 */
export async function evaluateRetrieval(
  library: Library,
  dataset: RetrievalDataset,
  options: EvaluateOptions,
): Promise<RetrievalEvaluation> {
  const collection = `eval-${dataset.kind}`;
  const docIdByFile = new Map<string, number>();
  const jobIds = new Set<number>();
  for (const file of dataset.corpus) {
    const r = await addToLibrary(library, { path: file }, { collection, maxAttempts: 2 });
    docIdByFile.set(basename(file), r.document.id);
    if (r.job) jobIds.add(r.job.id);
  }
  const started = performance.now();
  let ingestedPages = 0;
  if (jobIds.size > 0) {
    const reader = options.readPages ? undefined : createLibraryPageReader(options.config);
    const workers = startIngestWorkers({
      library,
      readPages: options.readPages ?? reader!.readPages,
      concurrency: options.config.library.concurrency,
      retryBaseMs: 100,
      pollMs: 100,
      embedder: options.embedder,
    });
    let documentsDone = 0;
    workers.events.on('progress', () => options.onIngest?.(++ingestedPages, documentsDone, jobIds.size));
    workers.events.on('job', (e) => {
      if (e.state !== 'queued') documentsDone++;
    });
    try {
      await workers.settled(jobIds);
    } finally {
      await workers.stop();
      await reader?.close();
    }
  }
  // A library kept from a run with an older tokenizer is re-indexed from its stored lines (no OCR).
  if (await needsReindex(library))
    await reindexLibrary(library, {
      chunkChars: options.config.library.chunkChars,
      embedder: options.embedder,
    });
  const ingestSeconds = (performance.now() - started) / 1000;
  // A library kept from a BM25-only run gets its vectors now (pages are not read again).
  const embedStarted = performance.now();
  const embeddedChunks = options.embedder ? await embedMissingChunks(library, options.embedder) : 0;
  const embedSeconds = (performance.now() - embedStarted) / 1000;
  const failedDocuments: string[] = [];
  for (const [file, id] of docIdByFile) {
    if ((await library.store.getDocument(id))?.status !== 'ready') failedDocuments.push(file);
  }

  const ranks: (number | null)[] = [];
  const times: number[] = [];
  const misses: RetrievalEvaluation['misses'] = [];
  const nameById = new Map([...docIdByFile].map(([f, id]) => [id, f]));
  let mode: RetrievalEvaluation['mode'] = options.embedder ? 'hybrid' : 'bm25';
  for (const q of dataset.queries) {
    const t0 = performance.now();
    const response = await searchLibrary(library.store, q.query, {
      k: 10,
      filters: { collection },
      embedder: options.embedder,
    });
    const { results } = response;
    if (response.mode === 'bm25') mode = 'bm25';
    times.push(performance.now() - t0);
    // Rank of the target document: its first page in the results (documents here are one page).
    const docs: number[] = [];
    for (const r of results) if (!docs.includes(r.documentId)) docs.push(r.documentId);
    const idx = docs.indexOf(docIdByFile.get(q.target) ?? -1);
    ranks.push(idx === -1 ? null : idx + 1);
    if (idx === -1 && misses.length < 20) {
      misses.push({
        query: q.query,
        target: q.target,
        top: docs.slice(0, 3).map((d) => nameById.get(d) ?? String(d)),
      });
    }
  }
  times.sort((a, b) => a - b);
  return {
    scores: scoreRanks(ranks),
    ingestedPages,
    ingestSeconds,
    queryMsP50: percentile(times, 50),
    queryMsP95: percentile(times, 95),
    misses,
    failedDocuments,
    mode,
    embeddedChunks,
    embedSeconds,
  };
}
