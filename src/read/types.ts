/**
 * The records that flow through the read path: pixels in, text lines with boxes out.
 * Every later stage (store, find, understand, serve) consumes these types.
 */

/** An 8-bit image in memory, interleaved channels, row-major. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  /** 1 (grey), 3 (RGB) or 4 (RGBA). */
  channels: 1 | 3 | 4;
}

/** Four corners clockwise from top-left, in pixels of the page: x0,y0,x1,y1,x2,y2,x3,y3. */
export type Quad = [number, number, number, number, number, number, number, number];

export interface TextLine {
  text: string;
  box: Quad;
  /** 0..1; text-layer lines have confidence 1. */
  confidence: number;
  /** Index of the block (paragraph) this line belongs to, in reading order. */
  block?: number;
}

export type PageSource = 'ocr' | 'text-layer';

export interface PageText {
  /** 1-based page number within the document. */
  page: number;
  width: number;
  height: number;
  source: PageSource;
  /** Lines in reading order. */
  lines: TextLine[];
  /** Clockwise degrees the page was rotated by before reading (0, 90, 180, 270). */
  rotation?: number;
}
