import type { Embedder } from '../find/embedder.js';
import { SEARCH_TERMS_VERSION } from '../text/search-terms.js';
import type { PageText } from '../read/types.js';
import type { Library } from '../store/library.js';
import { chunkAndEmbedPage } from './chunk-page.js';

const META_KEY = 'search_terms_version';

/** True when the library's index terms were made by another version of `searchTerms`. */
export async function needsReindex(library: Library): Promise<boolean> {
  const stored = await library.store.getMeta(META_KEY);
  if (stored === SEARCH_TERMS_VERSION) return false;
  // An empty library has nothing to redo: just record the version.
  if ((await library.store.stats()).pages === 0) {
    await library.store.setMeta(META_KEY, SEARCH_TERMS_VERSION);
    return false;
  }
  return true;
}

/**
 * Rebuilds every page's chunks and index entries from its stored lines, without reading the
 * originals again (no OCR), and records the current terms version. Each page is rewritten in its
 * own transaction, so an interrupted re-index is simply run again. With an embedder the new chunks
 * get vectors too (rewriting a page replaces its chunks, and their vectors with them).
 *
 * @example
 *   if (await needsReindex(library)) await reindexLibrary(library, { chunkChars: config.library.chunkChars });
 */
export async function reindexLibrary(
  library: Library,
  options: { chunkChars?: number; embedder?: Embedder; onPage?(done: number): void } = {},
): Promise<number> {
  let done = 0;
  const { embedder } = options;
  if (embedder) await library.store.ensureVectorIndex(embedder.model, embedder.dimensions);
  for (const doc of await library.store.listDocuments()) {
    for (const record of await library.store.listPages(doc.id)) {
      const stored = (await library.store.getPage(doc.id, record.page))!;
      const page: PageText = {
        page: stored.page,
        width: stored.width,
        height: stored.height,
        source: stored.source,
        rotation: stored.rotation,
        lines: stored.lines.map((l) => ({ ...l, block: l.block ?? undefined })),
      };
      const chunks = await chunkAndEmbedPage(page, options.chunkChars, embedder);
      await library.store.writePage({
        jobId: null,
        documentId: doc.id,
        page,
        chunks,
        imageSha256: stored.imageSha256 ?? undefined,
      });
      done++;
      options.onPage?.(done);
    }
  }
  await library.store.setMeta(META_KEY, SEARCH_TERMS_VERSION);
  return done;
}
