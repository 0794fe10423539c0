import { DocSightError } from '../errors.js';
import { openDocument } from '../read/intake/index.js';
import { detectSupportedType } from '../read/intake/detect-type.js';
import type { TextLine } from '../read/types.js';
import { prepareImage } from '../understand/images/prepare-image.js';
import type { EngineImage } from '../understand/vision-language-engine.js';
import type { DocSight } from './docsight.js';

/**
 * An image to ask about, as a shell hands it over: bytes (an upload, or a file the CLI read) or a page of
 * the library. Never a path on the server: an HTTP handler and the CLI pass the same thing.
 */
export type ImageInput =
  | {
      bytes: Uint8Array;
      /** The file's name, for messages and for the conversation's record. */
      name: string;
      /** Page of a PDF or TIFF (default 1). */
      page?: number;
    }
  | { documentId: number; page: number };

/** Resolution a page of a PDF or multi-page TIFF is rendered at for the model (it is then fitted to a budget). */
export const PAGE_RENDER_DPI = 150;

/**
 * PDF pages are rendered at this resolution for cropping: 10-pt print is ~28 px high, so a crop reaches the
 * 24-px target without enlarging, while the render stays a quarter of a 300-dpi page's pixels.
 */
export const ZOOM_RENDER_DPI = 200;

/** A page's picture before it is fitted to a token budget, with what is known about its text. */
export interface PageSource {
  /** The image as given, or the page rendered: what is kept and fitted to a budget for each request. */
  bytes: Uint8Array;
  /** Its blob id when it is already in the library (a library page's render or image). */
  blobSha256?: string;
  name: string;
  documentId: number | null;
  page: number | null;
  /** The page's lines where known without OCR (a PDF text layer, a library page), in a width×height frame. */
  lines?: { lines: TextLine[]; width: number; height: number };
  /** The picture zoomed crops are cut from (a sharper render of a PDF page); asked for with `forZoom`. */
  zoomImage?: Uint8Array;
}

/**
 * Reads one image input: a single image as it is, a page of a PDF or multi-page TIFF rendered; a library
 * page from its stored render and stored lines (so zooming on it needs no OCR).
 *
 * @example
 *   const source = await loadPageSource(app, { bytes, name: 'scan.pdf', page: 2 });
 *   const image = await fitToBudget(app, source.bytes, 256);
 */
export async function loadPageSource(
  app: DocSight,
  input: ImageInput,
  options: { forZoom?: boolean } = {},
): Promise<PageSource> {
  if ('documentId' in input) return libraryPageSource(app, input.documentId, input.page, options);
  return documentPageSource(app, input.bytes, input.name, input.page ?? 1, options);
}

async function documentPageSource(
  app: DocSight,
  bytes: Uint8Array,
  name: string,
  pageNumber: number,
  options: { forZoom?: boolean },
): Promise<PageSource> {
  const doc = await openDocument(bytes, name, app.config.intake);
  try {
    if (!Number.isInteger(pageNumber) || pageNumber < 1 || pageNumber > doc.pageCount) {
      throw new DocSightError(
        'BAD_REQUEST',
        `${name} has ${doc.pageCount} page(s); page ${pageNumber} does not exist.`,
      );
    }
    const page = await doc.page(pageNumber);
    // Single images go in as they are (prepareImage applies EXIF); documents are rendered page by page.
    const rendered = doc.kind === 'pdf' || doc.pageCount > 1;
    const source: PageSource = {
      bytes: rendered ? await page.renderPng(PAGE_RENDER_DPI) : bytes,
      name,
      documentId: null,
      page: doc.pageCount > 1 || doc.kind === 'pdf' ? pageNumber : null,
    };
    if (options.forZoom) {
      source.zoomImage = rendered ? await page.renderPng(ZOOM_RENDER_DPI) : bytes;
      if (page.textLines) source.lines = { lines: page.textLines, width: page.width, height: page.height };
    }
    return source;
  } finally {
    await doc.close();
  }
}

async function libraryPageSource(
  app: DocSight,
  documentId: number,
  pageNumber: number,
  options: { forZoom?: boolean },
): Promise<PageSource> {
  const { store, blobs } = app.library();
  const page = await store.getPage(documentId, pageNumber);
  if (!page) {
    throw new DocSightError(
      'NOT_FOUND',
      `Document ${documentId} has no page ${pageNumber} in the library (or it is not read yet).`,
    );
  }
  const document = (await store.getDocument(documentId))!;
  if (page.imageSha256 === null) {
    // No render was kept (a text-layer page too large to render): render it from the stored original.
    const original = await blobs.get(document.sha256);
    const source = await documentPageSource(app, original, document.name, pageNumber, options);
    return { ...source, documentId, page: pageNumber };
  }
  const bytes = await blobs.get(page.imageSha256);
  const lines = page.lines.map((l) => ({ ...l, block: l.block ?? undefined }));
  return {
    bytes,
    blobSha256: page.imageSha256,
    name: document.name,
    documentId,
    page: pageNumber,
    lines: { lines, width: page.width, height: page.height },
    zoomImage: options.forZoom ? bytes : undefined,
  };
}

/** The picture fitted to a token budget, as the engine takes it (its sha256 keys the image-state cache). */
export async function fitToBudget(app: DocSight, bytes: Uint8Array, budget: number): Promise<EngineImage> {
  const prepared = await prepareImage(bytes, { maxTokens: budget, maxPixels: app.config.intake.maxPixels });
  return { png: prepared.png, sha256: prepared.sha256 };
}

/**
 * The type of stored image bytes, sniffed from their first bytes (a blob keeps no type), for the shell that
 * serves them; `application/octet-stream` when it is none of the supported ones.
 *
 * @example imageMimeType(await blobs.get(sha256)); // 'image/png'
 */
export const imageMimeType = (bytes: Uint8Array): string =>
  detectSupportedType(bytes) ?? 'application/octet-stream';
