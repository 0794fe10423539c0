import type { DocumentPage } from '../read/read-document.js';

/** A stored original handed to a reader. */
export interface ReadSource {
  /** Path of the original's blob file. */
  path: string;
  /** The file name the user gave (its extension can help type detection). */
  name: string;
  mime: string;
}

/** A read page, optionally with its rendered image (kept as a blob for the page viewer). */
export type ReadPage = DocumentPage;

/**
 * Reads a stored document page by page. Ingestion takes one of these so the pipeline does not
 * depend on how pages are read (text layer, OCR, a test reader), and so it can be tested alone.
 * `onPage(done, total)` reports the page count as soon as the reader knows it. A reader that skips the
 * `skipPages` still calls `onPage` with the real total; pages it yields anyway are ignored.
 */
export type PageReader = (
  source: ReadSource,
  options: {
    signal: AbortSignal;
    onPage?(done: number, total: number): void;
    /** Pages already stored by an earlier run: a reader may skip them instead of reading them again. */
    skipPages?: ReadonlySet<number>;
  },
) => AsyncIterable<ReadPage>;
