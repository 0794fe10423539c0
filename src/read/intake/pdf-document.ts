import { DocSightError } from '../../errors.js';
import type { Config } from '../../config/config.js';
import type { RawImage, TextLine } from '../types.js';
import { checkPageCount, checkPixels } from './limits.js';
import {
  FPDF_ANNOT,
  FPDF_ERR,
  FPDF_REVERSE_BYTE_ORDER,
  FPDFBitmap_BGRx,
  type PdfiumApi,
} from './pdfium-module.js';
import { blockNumbers, groupCharsIntoLines, type PositionedChar } from './text-layout.js';

/**
 * The PDF work itself, synchronous calls into one PDFium module. It runs on the PDF engine's worker thread
 * (pdf-engine.ts), never on the caller's: a hostile page can make PDFium loop or abort, and only a thread
 * can be stopped and thrown away.
 */

/** Page-to-pixel mapping runs on a grid this many times finer than a pixel: PDFium returns integers. */
const SUBPIXEL = 8;

/** Pixel size of a page of `points` (1/72 inch) at `dpi`. */
export const toPixels = (points: number, dpi: number): number => Math.max(1, Math.round((points * dpi) / 72));

function openError(name: string, code: number): DocSightError {
  if (code === FPDF_ERR.PASSWORD || code === FPDF_ERR.SECURITY) {
    return new DocSightError(
      'ENCRYPTED_PDF',
      `${name}: the PDF is encrypted and needs a password. Save an unprotected copy (print to PDF) and try again.`,
    );
  }
  return new DocSightError(
    'CORRUPT_FILE',
    `${name}: the PDF is damaged or cut short and cannot be opened (PDFium error ${code}). Re-export or re-scan it.`,
  );
}

/** PDFium's stand-in for a hyphen that breaks a word at the end of a line. */
const PDFIUM_LINE_END_HYPHEN = 0x02;

/** The text of one text-layer character (PDFium gives code points, beyond U+FFFF too). */
function charText(code: number): string {
  if (code === PDFIUM_LINE_END_HYPHEN) return '-';
  // Other control characters carry nothing readable; a space keeps word boundaries.
  if (code < 0x20 && code !== 0x0a && code !== 0x0d) return ' ';
  return code > 0xffff && code <= 0x10ffff ? String.fromCodePoint(code) : String.fromCharCode(code);
}

/** A page whose largest image covers at least this share of it looks like a scan… */
const SCAN_IMAGE_SHARE = 0.5;
/** …and its text layer is trusted only with at least this many characters (an OCR'd scan has hundreds). */
const MIN_CHARS_ON_SCANNED_PAGE = 100;
/** `FPDFPageObj_GetType` value of an image object. */
const FPDF_PAGEOBJ_IMAGE = 3;

/** The share (0..1) of the page's area covered by its largest image. */
function largestImageShare(api: PdfiumApi, page: number): number {
  const pageArea = api._FPDF_GetPageWidthF(page) * api._FPDF_GetPageHeightF(page);
  if (!(pageArea > 0)) return 0;
  const rect = api._malloc(16);
  try {
    let largest = 0;
    const count = api._FPDFPage_CountObjects(page);
    for (let i = 0; i < count; i++) {
      const object = api._FPDFPage_GetObject(page, i);
      if (api._FPDFPageObj_GetType(object) !== FPDF_PAGEOBJ_IMAGE) continue;
      if (!api._FPDFPageObj_GetBounds(object, rect, rect + 4, rect + 8, rect + 12)) continue;
      const f = api.HEAPF32;
      const [left, bottom, right, top] = [
        f[rect >> 2]!,
        f[(rect >> 2) + 1]!,
        f[(rect >> 2) + 2]!,
        f[(rect >> 2) + 3]!,
      ];
      largest = Math.max(largest, Math.abs(right - left) * Math.abs(top - bottom));
    }
    return Math.min(1, largest / pageArea);
  } finally {
    api._free(rect);
  }
}

/**
 * Reads a page's text layer as lines in page pixels at `dpi`. Undefined when the page has no usable
 * text: no visible characters (a scanned page), a page-sized image with only a few words of text, or
 * mostly characters without a Unicode mapping (a broken font encoding gives garbage; OCR reads it better).
 */
function readTextLayer(api: PdfiumApi, page: number, width: number, height: number): TextLine[] | undefined {
  const textPage = api._FPDFText_LoadPage(page);
  if (!textPage) return undefined;
  const scratch = api._malloc(4 * 8 + 2 * 4); // an FS_RECTF, then two ints for PageToDevice
  try {
    const count = api._FPDFText_CountChars(textPage);
    const chars: PositionedChar[] = [];
    let visible = 0;
    let unmapped = 0;
    const toDevice = (x: number, y: number): [number, number] => {
      api._FPDF_PageToDevice(
        page,
        0,
        0,
        width * SUBPIXEL,
        height * SUBPIXEL,
        0,
        x,
        y,
        scratch + 32,
        scratch + 36,
      );
      const ints = api.HEAP32;
      return [ints[(scratch + 32) >> 2]! / SUBPIXEL, ints[(scratch + 36) >> 2]! / SUBPIXEL];
    };
    for (let i = 0; i < count; i++) {
      const code = api._FPDFText_GetUnicode(textPage, i);
      const text = charText(code);
      const generated = api._FPDFText_IsGenerated(textPage, i) === 1;
      // Loose boxes span the font's ascent to descent, so every glyph on a line has the same band
      // (a comma's tight box hangs below the letters) and lines are as tall as OCR boxes.
      if (generated || !api._FPDFText_GetLooseCharBox(textPage, i, scratch)) {
        chars.push({ text });
        continue;
      }
      const floats = api.HEAPF32;
      const at = scratch >> 2;
      const [left, top, right, bottom] = [floats[at]!, floats[at + 1]!, floats[at + 2]!, floats[at + 3]!];
      // Reading space: page points with y downwards, before /Rotate (see PositionedChar).
      chars.push({ text, box: [left, -top, right, -bottom] });
      if (!/\s/u.test(text)) {
        visible++;
        if (code === 0 || code === 0xfffd || api._FPDFText_HasUnicodeMapError(textPage, i) === 1) unmapped++;
      }
    }
    if (visible === 0 || unmapped > visible / 2) return undefined;
    // A scan carrying a few words of text (a scanner app's watermark, a stamped page number) is still a
    // scan: reading only those words would lose the page.
    if (visible < MIN_CHARS_ON_SCANNED_PAGE && largestImageShare(api, page) >= SCAN_IMAGE_SHARE)
      return undefined;
    const rects = groupCharsIntoLines(chars);
    const blocks = blockNumbers(rects);
    const lines = rects.map((r, i): TextLine => {
      // Corners clockwise from the text's own top-left, mapped to page pixels (rotation included).
      const [x0, y0] = toDevice(r.left, -r.top);
      const [x1, y1] = toDevice(r.right, -r.top);
      const [x2, y2] = toDevice(r.right, -r.bottom);
      const [x3, y3] = toDevice(r.left, -r.bottom);
      return { text: r.text, box: [x0, y0, x1, y1, x2, y2, x3, y3], confidence: 1, block: blocks[i]! };
    });
    // Text placed wholly off the page (left over by some generators) is invisible to a reader: drop it.
    const onPage = lines.filter((line) => {
      const xs = [line.box[0], line.box[2], line.box[4], line.box[6]];
      const ys = [line.box[1], line.box[3], line.box[5], line.box[7]];
      return (
        Math.max(...xs) > 0 && Math.min(...xs) < width && Math.max(...ys) > 0 && Math.min(...ys) < height
      );
    });
    return onPage.length > 0 ? onPage : undefined;
  } finally {
    api._free(scratch);
    api._FPDFText_ClosePage(textPage);
  }
}

/** `FPDFPageObj_GetType` value of a form XObject (a group of objects that may hold images of its own). */
const FPDF_PAGEOBJ_FORM = 5;
/**
 * Page objects looked at for oversized images, forms' contents included. A real page has a few thousand
 * (a dense map tens of thousands); forms drawing forms fan out exponentially (16 levels of four: 4^15).
 */
const MAX_OBJECTS_CHECKED = 1_000_000;

/**
 * Refuses to render a page holding an image whose pixel size is over `limits.maxPixels`: PDFium decodes
 * images at their full size, so a few KB of PDF claiming a 30000×30000 image would take gigabytes.
 * Sizes come from the image dictionaries, nothing is decoded; forms are searched to any depth (with an
 * explicit stack). Images PDFium does not list as page objects (a soft mask, an annotation's appearance)
 * are bounded by the engine's memory cap instead (pdf-engine.ts).
 */
function checkEmbeddedImages(api: PdfiumApi, page: number, label: string, limits: Config['intake']): void {
  const size = api._malloc(8);
  try {
    const stack: number[] = [];
    const pageObjects = api._FPDFPage_CountObjects(page);
    for (let i = pageObjects - 1; i >= 0; i--) stack.push(api._FPDFPage_GetObject(page, i));
    let checked = 0;
    while (stack.length > 0) {
      const object = stack.pop()!;
      if (++checked > MAX_OBJECTS_CHECKED) {
        throw new DocSightError(
          'TOO_COMPLEX',
          `${label}: the page draws more than ${MAX_OBJECTS_CHECKED.toLocaleString('en-US')} objects ` +
            '(forms drawing forms); no real page does. Print it to a new PDF or scan it.',
        );
      }
      const type = api._FPDFPageObj_GetType(object);
      if (type === FPDF_PAGEOBJ_FORM) {
        const count = api._FPDFFormObj_CountObjects(object);
        for (let j = count - 1; j >= 0; j--) stack.push(api._FPDFFormObj_GetObject(object, j));
      } else if (type === FPDF_PAGEOBJ_IMAGE && api._FPDFImageObj_GetImagePixelSize(object, size, size + 4)) {
        const [width, height] = [api.HEAPU32[size >> 2]!, api.HEAPU32[(size >> 2) + 1]!];
        checkPixels(`${label}, an image on it`, width, height, limits);
      }
    }
  } finally {
    api._free(size);
  }
}

/** Renders a page to RGB pixels on a white background, annotations included. */
function renderPage(api: PdfiumApi, page: number, width: number, height: number, label: string): RawImage {
  const bitmap = api._FPDFBitmap_CreateEx(width, height, FPDFBitmap_BGRx, 0, 0);
  if (!bitmap) {
    throw new DocSightError(
      'TOO_COMPLEX',
      `${label}: not enough memory in the PDF engine to render ${width}×${height} pixels ` +
        '(intake.pdfEngineMemoryBytes).',
    );
  }
  try {
    api._FPDFBitmap_FillRect(bitmap, 0, 0, width, height, 0xffffffff);
    api._FPDF_RenderPageBitmap(bitmap, page, 0, 0, width, height, 0, FPDF_ANNOT | FPDF_REVERSE_BYTE_ORDER);
    const buffer = api._FPDFBitmap_GetBuffer(bitmap);
    const stride = api._FPDFBitmap_GetStride(bitmap);
    const heap = api.HEAPU8;
    const out = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      let src = buffer + y * stride;
      let dst = y * width * 3;
      for (let x = 0; x < width; x++, src += 4, dst += 3) {
        out[dst] = heap[src]!;
        out[dst + 1] = heap[src + 1]!;
        out[dst + 2] = heap[src + 2]!;
      }
    }
    return { data: out, width, height, channels: 3 };
  } finally {
    api._FPDFBitmap_Destroy(bitmap);
  }
}

/** A page's size in points and its text layer (lines in pixels at the dpi asked for). */
export interface PdfPageFacts {
  widthPoints: number;
  heightPoints: number;
  textLines?: TextLine[];
}

/** A PDF open inside PDFium: pages are loaded on request and closed again at once. */
export interface PdfDocument {
  pageCount: number;
  readPage(n: number, dpi: number): PdfPageFacts;
  /** Renders page `n` to `width`×`height` RGB pixels, after refusing images over `limits.maxPixels`. */
  render(n: number, width: number, height: number, label: string): RawImage;
  close(): void;
}

/**
 * Opens a PDF in `api`. Only the file's bytes are kept (inside PDFium); each page is loaded, read and
 * rendered on request and released at once, so memory does not grow with the page count.
 */
export function openPdfDocument(
  api: PdfiumApi,
  bytes: Uint8Array,
  name: string,
  limits: Config['intake'],
): PdfDocument {
  const data = api._malloc(bytes.length);
  if (!data) throw new DocSightError('TOO_COMPLEX', `${name}: not enough memory to open the PDF.`);
  api.HEAPU8.set(bytes, data);
  const doc = api._FPDF_LoadMemDocument(data, bytes.length, 0);
  if (!doc) {
    const code = api._FPDF_GetLastError();
    api._free(data);
    throw openError(name, code);
  }
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    api._FPDF_CloseDocument(doc);
    api._free(data);
  };
  const pageCount = api._FPDF_GetPageCount(doc);
  try {
    if (pageCount <= 0) {
      throw new DocSightError('CORRUPT_FILE', `${name}: the PDF has no pages. Re-export it.`);
    }
    checkPageCount(name, pageCount, limits);
  } catch (err) {
    close();
    throw err;
  }

  /** Loads page `n`, runs `use`, and always closes the page again. */
  const withPage = <T>(n: number, use: (page: number) => T): T => {
    if (!open) throw new DocSightError('BAD_REQUEST', `${name}: the document was already closed.`);
    const page = api._FPDF_LoadPage(doc, n - 1);
    if (!page) {
      throw new DocSightError('CORRUPT_FILE', `${name}: page ${n} is damaged and cannot be read.`);
    }
    try {
      return use(page);
    } finally {
      api._FPDF_ClosePage(page);
    }
  };

  return {
    pageCount,
    readPage(n, dpi) {
      return withPage(n, (page) => {
        const widthPoints = api._FPDF_GetPageWidthF(page);
        const heightPoints = api._FPDF_GetPageHeightF(page);
        const lines = readTextLayer(api, page, toPixels(widthPoints, dpi), toPixels(heightPoints, dpi));
        return { widthPoints, heightPoints, ...(lines ? { textLines: lines } : {}) };
      });
    },
    render(n, width, height, label) {
      return withPage(n, (page) => {
        checkEmbeddedImages(api, page, label, limits);
        return renderPage(api, page, width, height, label);
      });
    },
    close,
  };
}
