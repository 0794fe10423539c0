import type { PageText } from '../read/types.js';

/** A stored original handed to a reader. */
export interface ReadSource {
  /** Path of the original's blob file. */
  path: string;
  /** The file name the user gave (its extension can help type detection). */
  name: string;
  mime: string;
}

/** A read page, optionally with the rendered image that was OCR'd (kept as a blob). */
export interface ReadPage extends PageText {
  image?: Uint8Array;
}

/**
 * Reads a stored document page by page. Ingestion takes one of these so the pipeline does not
 * depend on how pages are read (text layer, OCR, a test reader), and so it can be tested alone.
 * `onPage(done, total)` reports the page count as soon as the reader knows it.
 */
export type PageReader = (
  source: ReadSource,
  options: { signal: AbortSignal; onPage?(done: number, total: number): void },
) => AsyncIterable<ReadPage>;
