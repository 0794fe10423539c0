import type { RawImage, TextLine } from '../types.js';

/** The file types DocSight reads, detected from the bytes (never from the name). */
export type SupportedMime =
  'image/png' | 'image/jpeg' | 'image/webp' | 'image/tiff' | 'image/bmp' | 'image/gif' | 'application/pdf';

export type DocumentKind = 'image' | 'pdf';

/**
 * One page of a document, produced on demand. Sizes and positions are pixels: the image's own pixels
 * (after EXIF orientation), or for a PDF the page rendered at `dpi`, so text-layer boxes and OCR boxes
 * share one coordinate system.
 */
export interface SourcePage {
  /** 1-based page number. */
  number: number;
  width: number;
  height: number;
  /** The resolution `width`/`height` refer to: the render dpi for PDF pages, undefined for images. */
  dpi?: number;
  /**
   * Lines from the PDF's text layer, in reading order, confidence 1. Undefined when the page has no text
   * layer (every image; a scanned PDF page), which means "needs OCR".
   */
  textLines?: TextLine[];
  /** Decodes (or renders) the page to pixels. Each call decodes again: nothing is cached. */
  image(): Promise<RawImage>;
  /** The page as a PNG, for the page viewer. PDF pages render at `dpi` (default: the configured dpi). */
  renderPng(dpi?: number): Promise<Uint8Array>;
}

/**
 * An opened document. Pages are produced one at a time so a 500-page PDF is never held rendered in memory:
 * only the file's bytes are kept. Call `close()` when done (it frees the PDF engine's copy).
 */
export interface DocumentSource {
  /** The file name given by the caller, used in error messages. */
  name: string;
  mime: SupportedMime;
  kind: DocumentKind;
  pageCount: number;
  /** Page `n`, 1-based. */
  page(n: number): Promise<SourcePage>;
  close(): Promise<void>;
}
