import { readDocument, type DocumentPage } from '../read/read-document.js';
import type { DocSight } from './docsight.js';

/** A document handed to a use case: its bytes and the name errors and listings show. */
export interface DocumentBytes {
  bytes: Uint8Array;
  /** The user's file name (or, on the CLI, the path as typed): errors name it. */
  name: string;
}

export interface OcrDocumentOptions {
  signal?: AbortSignal;
  /** Called once the document is open, with its page count, before the first (maybe slow) page. */
  onOpen?(pageCount: number): void;
  /** Called after each page is read, before it is yielded. */
  onPage?(done: number, total: number): void;
  /** Also render each page to PNG at this resolution, attached as `image` (for a page viewer). */
  pageImageDpi?: number;
}

/**
 * Reads a document's text page by page — the PDF text layer where a page has one, the app's shared OCR
 * engine otherwise — without storing anything. Pages are yielded as they are read, so a caller can stream
 * them (the CLI prints each, a server sends each as an event). Breaking out of the loop stops reading;
 * errors are DocSightErrors that name the document (UNSUPPORTED_TYPE, CORRUPT_FILE, TOO_MANY_PAGES, …).
 *
 * @example
 *   for await (const page of ocrDocument(app, { bytes, name: 'scan.pdf' })) send(pageToJson(page));
 */
export function ocrDocument(
  app: DocSight,
  document: DocumentBytes,
  options: OcrDocumentOptions = {},
): AsyncGenerator<DocumentPage> {
  return readDocument(
    { bytes: document.bytes, name: document.name },
    {
      config: app.config,
      ocr: app.ocr,
      signal: options.signal,
      onOpen: options.onOpen,
      onPage: options.onPage,
      pageImageDpi: options.pageImageDpi,
    },
  );
}
