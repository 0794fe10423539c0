import type { Embedder } from '../find/embedder.js';
import { searchTerms } from '../text/search-terms.js';
import type { PageText } from '../read/types.js';
import type { ChunkInput } from '../store/library-store.js';

/**
 * Splits a page into retrieval chunks: runs of consecutive lines up to about `maxChars` characters.
 * Most pages (receipts, forms, letters) are one chunk; a dense page becomes several, so a match
 * points at the part of the page where it is and BM25 is not diluted by a whole long page.
 *
 * @example
 *   chunkPage(page).map((c) => [c.firstLine, c.lastLine]); // [[0, 41]]
 */
export function chunkPage(page: PageText, maxChars = 1500): ChunkInput[] {
  const chunks: ChunkInput[] = [];
  let first = 0;
  let texts: string[] = [];
  let size = 0;
  const flush = (last: number): void => {
    if (texts.length === 0) return;
    const text = texts.join('\n');
    chunks.push({ firstLine: first, lastLine: last, text, terms: searchTerms(text).join(' ') });
    texts = [];
    size = 0;
  };
  page.lines.forEach((line, i) => {
    if (size > 0 && size + line.text.length > maxChars) {
      flush(i - 1);
      first = i;
    }
    texts.push(line.text);
    size += line.text.length + 1;
  });
  flush(page.lines.length - 1);
  return chunks.filter((c) => c.terms !== '');
}

/**
 * The chunks of a page as the library stores them: with a vector each when an embedder is given
 * (ingestion and re-indexing must store the same chunks the same way).
 *
 * @example
 *   await store.writePage({ ..., chunks: await chunkAndEmbedPage(page, 1500, embedder) });
 */
export async function chunkAndEmbedPage(
  page: PageText,
  maxChars: number | undefined,
  embedder: Embedder | undefined,
): Promise<ChunkInput[]> {
  const chunks = chunkPage(page, maxChars);
  if (embedder && chunks.length > 0) {
    const vectors = await embedder.embed(
      chunks.map((c) => c.text),
      'document',
    );
    chunks.forEach((c, i) => (c.vector = vectors[i]));
  }
  return chunks;
}
