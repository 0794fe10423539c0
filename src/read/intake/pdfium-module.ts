import { PDFiumModule } from '@hyzyla/pdfium';

/**
 * The raw PDFium functions DocSight calls, from the WebAssembly build inside `@hyzyla/pdfium` (MIT).
 * The package's friendly wrapper has no character boxes, no page-to-pixel mapping and no password error,
 * so we call the C API it exports (names and signatures as in PDFium's public headers `fpdfview.h`
 * and `fpdf_text.h`). Pointers are offsets into `HEAPU8`; re-read the heap views after every call
 * because the WebAssembly memory may grow and replace them.
 */
export interface PdfiumApi {
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  HEAPU32: Uint32Array;
  HEAPF32: Float32Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _FPDF_InitLibrary(): void;
  _FPDF_LoadMemDocument(data: number, size: number, password: number): number;
  _FPDF_GetLastError(): number;
  _FPDF_GetPageCount(doc: number): number;
  _FPDF_CloseDocument(doc: number): void;
  _FPDF_LoadPage(doc: number, index: number): number;
  _FPDF_ClosePage(page: number): void;
  _FPDF_GetPageWidthF(page: number): number;
  _FPDF_GetPageHeightF(page: number): number;
  _FPDF_PageToDevice(
    page: number,
    startX: number,
    startY: number,
    sizeX: number,
    sizeY: number,
    rotate: number,
    pageX: number,
    pageY: number,
    deviceX: number,
    deviceY: number,
  ): number;
  _FPDFPage_CountObjects(page: number): number;
  _FPDFPage_GetObject(page: number, index: number): number;
  _FPDFPageObj_GetType(object: number): number;
  /** Writes four floats: left, bottom, right, top, in page points. */
  _FPDFPageObj_GetBounds(object: number, left: number, bottom: number, right: number, top: number): number;
  /** Writes two unsigned ints: the image's width and height in pixels, from its dictionary (no decoding). */
  _FPDFImageObj_GetImagePixelSize(object: number, width: number, height: number): number;
  _FPDFFormObj_CountObjects(object: number): number;
  _FPDFFormObj_GetObject(object: number, index: number): number;
  _FPDFText_LoadPage(page: number): number;
  _FPDFText_ClosePage(textPage: number): void;
  _FPDFText_CountChars(textPage: number): number;
  _FPDFText_GetUnicode(textPage: number, index: number): number;
  _FPDFText_IsGenerated(textPage: number, index: number): number;
  _FPDFText_HasUnicodeMapError(textPage: number, index: number): number;
  /** Writes an FS_RECTF (float left, top, right, bottom) in page points, y up. */
  _FPDFText_GetLooseCharBox(textPage: number, index: number, rect: number): number;
  _FPDFBitmap_CreateEx(
    width: number,
    height: number,
    format: number,
    firstScan: number,
    stride: number,
  ): number;
  _FPDFBitmap_FillRect(
    bitmap: number,
    left: number,
    top: number,
    width: number,
    height: number,
    color: number,
  ): void;
  _FPDFBitmap_GetBuffer(bitmap: number): number;
  _FPDFBitmap_GetStride(bitmap: number): number;
  _FPDFBitmap_Destroy(bitmap: number): void;
  _FPDF_RenderPageBitmap(
    bitmap: number,
    page: number,
    startX: number,
    startY: number,
    sizeX: number,
    sizeY: number,
    rotate: number,
    flags: number,
  ): void;
}

/** `FPDF_GetLastError` codes (fpdfview.h). */
export const FPDF_ERR = { UNKNOWN: 1, FILE: 2, FORMAT: 3, PASSWORD: 4, SECURITY: 5, PAGE: 6 } as const;
/** Bitmap format: 4 bytes per pixel, no alpha. */
export const FPDFBitmap_BGRx = 3;
/** Render flags: draw annotations (form fields, stamps); emit R,G,B order instead of B,G,R. */
export const FPDF_ANNOT = 0x01;
export const FPDF_REVERSE_BYTE_ORDER = 0x10;

let loading: Promise<PdfiumApi> | undefined;

/**
 * The PDFium module, loaded once per thread (about 50 ms) and shared: PDFium is single-threaded and
 * every call here is synchronous, so documents can share it safely within one JavaScript thread.
 * DocSight loads it only on the PDF engine's worker thread (pdf-engine.ts). `onMessage` receives what
 * PDFium's runtime would print to stderr (e.g. "Aborted(…)", failed heap growth).
 */
export function loadPdfium(onMessage?: (line: string) => void): Promise<PdfiumApi> {
  loading ??= (async () => {
    const options = onMessage ? { print: onMessage, printErr: onMessage } : {};
    const module = (await PDFiumModule(options as never)) as unknown as PdfiumApi;
    module._FPDF_InitLibrary();
    return module;
  })();
  return loading;
}
