import sharp from 'sharp';
import { DocSightError } from '../errors.js';
import { embedMissingChunks } from '../ingest/embed-missing-chunks.js';
import { needsReindex, reindexLibrary } from '../ingest/reindex-library.js';
import type { PageText } from '../read/types.js';
import type {
  DocumentFilters,
  DocumentRecord,
  JobRecord,
  PageRecord,
  StoredPage,
} from '../store/library-store.js';
import { deleteDocument } from '../store/library.js';
import { canSee, FULL_ACCESS, visibleCollections, type Access } from './access.js';
import type { DocSight } from './docsight.js';
import { exportDocument, type ExportFormat } from './export-pages.js';

/**
 * The documents in the library as use cases: list, look at, remove, read again, re-index. Each takes the
 * caller's `access` (full for the CLI): a document outside it does not exist for the caller (NOT_FOUND).
 */

const noDocument = (id: number): DocSightError =>
  new DocSightError('NOT_FOUND', `No document ${id}. See \`docsight docs list\`.`);

/** The document if `access` may see it; NOT_FOUND otherwise, the same answer as for an id never used. */
async function visibleDocument(app: DocSight, id: number, access: Access): Promise<DocumentRecord> {
  const document = await app.library().store.getDocument(id);
  if (!document || !canSee(access, document.collection)) throw noDocument(id);
  return document;
}

/**
 * Documents in the order they were added: id, status, pages, collection, tags; filtered by collection, tags,
 * status, type and date; `limit`/`offset` page through a large library. Only those `access` may see.
 *
 * @example
 *   const invoices = await listDocuments(app, { collection: 'invoices', status: 'ready' });
 */
export function listDocuments(
  app: DocSight,
  filter: DocumentFilters = {},
  access: Access = FULL_ACCESS,
): Promise<DocumentRecord[]> {
  const collections = visibleCollections(access, filter.collection);
  return app.library().store.listDocuments(collections ? { ...filter, collections } : filter);
}

export interface DocumentWithPages extends DocumentRecord {
  /** Every stored page with its lines and boxes, in page order. */
  pages: StoredPage[];
}

/**
 * A document with a summary of each stored page (size, source, number of lines, whether it has a picture),
 * without the lines: cheap for a document of thousands of pages. NOT_FOUND when there is none with that id.
 *
 * @example
 *   const { status, pages } = await getDocumentSummary(app, 7);
 */
export async function getDocumentSummary(
  app: DocSight,
  id: number,
  access: Access = FULL_ACCESS,
): Promise<DocumentRecord & { pages: PageRecord[] }> {
  const document = await visibleDocument(app, id, access);
  return { ...document, pages: await app.library().store.listPages(id) };
}

/** A document with every page's lines; NOT_FOUND when there is none with that id. */
export async function getDocument(
  app: DocSight,
  id: number,
  access: Access = FULL_ACCESS,
): Promise<DocumentWithPages> {
  const { store } = app.library();
  const document = await visibleDocument(app, id, access);
  const pages: StoredPage[] = [];
  for (const p of await store.listPages(id)) {
    const page = await store.getPage(id, p.page);
    if (page) pages.push(page);
  }
  return { ...document, pages };
}

/** One stored page with its lines; NOT_FOUND when the document or the page is not there. */
export async function getPage(
  app: DocSight,
  id: number,
  page: number,
  access: Access = FULL_ACCESS,
): Promise<StoredPage> {
  await visibleDocument(app, id, access);
  const stored = await app.library().store.getPage(id, page);
  if (stored) return stored;
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
  access: Access = FULL_ACCESS,
): Promise<{ bytes: Uint8Array; mime: string; sha256: string }> {
  const stored = await getPage(app, id, page, access);
  if (!stored.imageSha256)
    throw new DocSightError('NOT_FOUND', `Page ${page} of document ${id} has no image.`);
  const document = await visibleDocument(app, id, access);
  const isOriginal = stored.imageSha256 === document.sha256;
  return {
    bytes: await app.library().blobs.get(stored.imageSha256),
    mime: isOriginal ? document.mime : 'image/png',
    sha256: stored.imageSha256,
  };
}

/** Thumbnail widths a viewer may ask for: few sizes, so each is worth caching. */
export const THUMBNAIL_WIDTHS = [128, 256, 512] as const;

/**
 * A small JPEG of a stored page (white behind transparency), `width` pixels wide — for page lists and
 * result previews. `sha256` is the page image's: the thumbnail changes only when it does.
 *
 * @example
 *   const { bytes } = await getPageThumbnail(app, 7, 1, 256); // image/jpeg, 256 px wide
 */
export async function getPageThumbnail(
  app: DocSight,
  id: number,
  page: number,
  width: (typeof THUMBNAIL_WIDTHS)[number] = 256,
  access: Access = FULL_ACCESS,
): Promise<{ bytes: Uint8Array; mime: 'image/jpeg'; sha256: string }> {
  const image = await getPageImage(app, id, page, access);
  try {
    // The first frame of a multi-page original; never enlarged; the pixel cap is intake's.
    const bytes = await sharp(image.bytes, { limitInputPixels: app.config.intake.maxPixels, pages: 1 })
      .resize({ width, withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 80 })
      .toBuffer();
    return { bytes, mime: 'image/jpeg', sha256: image.sha256 };
  } catch (err) {
    throw new DocSightError('CORRUPT_FILE', `Page ${page} of document ${id} has no readable image.`, {
      cause: err,
    });
  }
}

/**
 * The original file of a document as it was added, with its MIME type and name (the name is the uploader's
 * text: show it, never use it as a path).
 *
 * @example
 *   const { bytes, mime, name } = await getDocumentFile(app, 7);
 */
export async function getDocumentFile(
  app: DocSight,
  id: number,
  access: Access = FULL_ACCESS,
): Promise<{ bytes: Uint8Array; mime: string; name: string; sha256: string }> {
  const document = await visibleDocument(app, id, access);
  return {
    bytes: await app.library().blobs.get(document.sha256),
    mime: document.mime,
    name: document.name,
    sha256: document.sha256,
  };
}

const asPageText = (page: StoredPage): PageText => ({
  page: page.page,
  width: page.width,
  height: page.height,
  source: page.source,
  rotation: page.rotation,
  lines: page.lines.map((l) => ({
    text: l.text,
    box: l.box,
    confidence: l.confidence,
    ...(l.block === null ? {} : { block: l.block }),
  })),
});

/**
 * A stored document in one of the export formats (Markdown, the documented JSON, plain text), from its
 * stored lines — no OCR runs.
 *
 * @example
 *   const { text } = await exportStoredDocument(app, 7, 'markdown'); // '# scan.pdf\n\n## Page 1\n\n…'
 */
export async function exportStoredDocument(
  app: DocSight,
  id: number,
  format: ExportFormat,
  access: Access = FULL_ACCESS,
): Promise<{ name: string; text: string }> {
  const document = await getDocument(app, id, access);
  return { name: document.name, text: exportDocument(document.name, document.pages.map(asPageText), format) };
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
  access: Access = FULL_ACCESS,
): Promise<{ removed: number[]; missing: number[] }> {
  const removed: number[] = [];
  const missing: number[] = [];
  for (const id of ids) {
    const visible = await visibleDocument(app, id, access).then(
      () => true,
      () => false,
    );
    (visible && (await deleteDocument(app.library(), id)) ? removed : missing).push(id);
  }
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
  access: Access = FULL_ACCESS,
): Promise<{ document: DocumentRecord; job: JobRecord; alreadyQueued: boolean }> {
  const library = app.library();
  const { store } = library;
  const found = await visibleDocument(app, id, access);
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
