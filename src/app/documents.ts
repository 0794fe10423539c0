import { DocSightError } from '../errors.js';
import { embedMissingChunks } from '../ingest/embed-missing-chunks.js';
import { needsReindex, reindexLibrary } from '../ingest/reindex-library.js';
import type { DocumentRecord, JobRecord, StoredPage } from '../store/library-store.js';
import { deleteDocument } from '../store/library.js';
import type { DocSight } from './docsight.js';

/** The documents in the library as use cases: list, look at, remove, read again, re-index. */

const noDocument = (id: number): DocSightError =>
  new DocSightError('NOT_FOUND', `No document ${id}. See \`docsight docs list\`.`);

/**
 * Documents in the order they were added: id, status, pages, collection, tags; `limit`/`offset` page through
 * a large library.
 *
 * @example
 *   const invoices = await listDocuments(app, { collection: 'invoices' });
 */
export function listDocuments(
  app: DocSight,
  filter: { collection?: string; limit?: number; offset?: number } = {},
): Promise<DocumentRecord[]> {
  return app.library().store.listDocuments(filter);
}

export interface DocumentWithPages extends DocumentRecord {
  /** Every stored page with its lines and boxes, in page order. */
  pages: StoredPage[];
}

/** A document with every page's lines; NOT_FOUND when there is none with that id. */
export async function getDocument(app: DocSight, id: number): Promise<DocumentWithPages> {
  const { store } = app.library();
  const document = await store.getDocument(id);
  if (!document) throw noDocument(id);
  const pages: StoredPage[] = [];
  for (const p of await store.listPages(id)) {
    const page = await store.getPage(id, p.page);
    if (page) pages.push(page);
  }
  return { ...document, pages };
}

/** One stored page with its lines; NOT_FOUND when the document or the page is not there. */
export async function getPage(app: DocSight, id: number, page: number): Promise<StoredPage> {
  const stored = await app.library().store.getPage(id, page);
  if (stored) return stored;
  if (!(await app.library().store.getDocument(id))) throw noDocument(id);
  throw new DocSightError('NOT_FOUND', `Document ${id} has no page ${page}.`);
}

/**
 * The picture of a stored page (PNG for PDF and TIFF pages, the original for a single image), for a page
 * viewer; NOT_FOUND when the page has none (plain text, or a page too large to render).
 */
export async function getPageImage(
  app: DocSight,
  id: number,
  page: number,
): Promise<{ bytes: Uint8Array; mime: string }> {
  const stored = await getPage(app, id, page);
  if (!stored.imageSha256)
    throw new DocSightError('NOT_FOUND', `Page ${page} of document ${id} has no image.`);
  const document = (await app.library().store.getDocument(id))!;
  const isOriginal = stored.imageSha256 === document.sha256;
  return {
    bytes: await app.library().blobs.get(stored.imageSha256),
    mime: isOriginal ? document.mime : 'image/png',
  };
}

/**
 * Removes documents with their pages, index entries and files; ids that are not there are listed apart.
 *
 * @example
 *   const { removed, missing } = await deleteDocuments(app, [3, 4]);
 */
export async function deleteDocuments(
  app: DocSight,
  ids: readonly number[],
): Promise<{ removed: number[]; missing: number[] }> {
  const removed: number[] = [];
  const missing: number[] = [];
  for (const id of ids) ((await deleteDocument(app.library(), id)) ? removed : missing).push(id);
  return { removed, missing };
}

/**
 * Queues a document to be read again from its original — after an OCR upgrade, or when its reading failed
 * or was cancelled: its stored pages, index entries and page images are removed first, so search finds it
 * again once its job is done. Returns the job; when one is already queued or running for the document,
 * that job (`alreadyQueued`), and nothing is removed.
 *
 * @example
 *   const { job } = await reingestDocument(app, 7); // then processQueue(app, { jobIds: [job.id] })
 */
export async function reingestDocument(
  app: DocSight,
  id: number,
): Promise<{ document: DocumentRecord; job: JobRecord; alreadyQueued: boolean }> {
  const library = app.library();
  const { store } = library;
  const found = await store.getDocument(id);
  if (!found) throw noDocument(id);
  const active = (await store.listJobs({ states: ['queued', 'running'] })).find((j) => j.documentId === id);
  if (active) return { document: found, job: active, alreadyQueued: true };
  const { orphanBlobs } = await store.clearPages(id);
  for (const sha of orphanBlobs) library.blobs.remove(sha);
  const job = await store.enqueueJob(id, { maxAttempts: app.config.library.maxAttempts });
  return { document: (await store.getDocument(id)) ?? found, job, alreadyQueued: false };
}

export interface ReindexResult {
  /** Pages rebuilt, or undefined when the index terms were current (and `full` was not asked for). */
  pagesReindexed: number | undefined;
  /** With `library.embeddingModel`: chunks that got a vector, how long it took, and the model. */
  embedded: { model: string; chunks: number; seconds: number } | undefined;
}

/**
 * Brings the index up to date from the stored lines, without OCR: rebuilds the index terms when an upgrade
 * changed them (every page with `full`), then embeds every chunk without a vector when an embedding model is
 * configured. Refuses (BAD_CONFIG) to mix vectors of two models unless `full` re-embeds the whole library.
 *
 * @example
 *   const { pagesReindexed, embedded } = await reindex(app, { onEmbedded: (n) => bar.update(n) });
 */
export async function reindex(
  app: DocSight,
  options: { full?: boolean; onEmbedded?(chunks: number): void } = {},
): Promise<ReindexResult> {
  const library = app.library();
  const embedder = await app.embedder();
  const index = await library.store.vectorIndexInfo();
  if (embedder && index && index.model !== embedder.model) {
    if (!options.full) {
      throw new DocSightError(
        'BAD_CONFIG',
        `The library's vectors come from ${index.model}, not the configured ${embedder.model}. ` +
          'Run `docsight docs reindex --full` to re-embed the library with the new model.',
      );
    }
    await library.store.dropVectorIndex();
  }
  let pagesReindexed: number | undefined;
  if (options.full || (await needsReindex(library))) {
    pagesReindexed = await reindexLibrary(library, { chunkChars: app.config.library.chunkChars, embedder });
  }
  if (!embedder) return { pagesReindexed, embedded: undefined };
  const t0 = performance.now();
  const chunks = await embedMissingChunks(library, embedder, { onProgress: options.onEmbedded });
  const seconds = (performance.now() - t0) / 1000;
  return { pagesReindexed, embedded: { model: embedder.model, chunks, seconds } };
}
