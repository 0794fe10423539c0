import { isCjkCharacter } from '../../text/cjk.js';
import type { Quad } from '../types.js';
import { quadBounds } from './geometry.js';
import type { LayoutItem } from './layout.js';
import type { RgbImage } from './pixels.js';

/**
 * Form check-boxes (☐ empty, ☑ ticked), found by their shape on the page rather than read by the recogniser:
 * PP-OCR's dictionary has no ☐/☑, and on FUNSD dev it dropped an empty box from its line or read a ticked one
 * as "区", "x" or "]". A check-box is a connected blob of ink that is square, about as tall as the text, with
 * one straight row or column of ink along each side meeting at the corners (which an "O", "D" or "0" has
 * not), a hollow at least half its side, and no letter close on both sides; its interior is clear (empty) or
 * crossed by a diagonal mark that touches the outline (ticked). Boxes are placed into the line the detector
 * drew around them, or stand as lines of their own; never into a line of Chinese, where 口 and 回 have the
 * same shape.
 */
export const EMPTY_BOX = '\u2610';
export const TICKED_BOX = '\u2611';

export interface CheckBox {
  ticked: boolean;
  /** Bounding square in page pixels. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** How clearly the blob is a box: the weakest side's inked share (0..1). */
  confidence: number;
}

export interface CheckBoxOptions {
  /** Darker than this (0..255, mean of R, G, B) is ink. */
  inkBelow: number;
  /** Box side as a share of the page's median text height. */
  minSide: number;
  maxSide: number;
  /** Each side must be inked along at least this share of its length. */
  minSideInk: number;
  /** Interior ink share at or below which a box is empty, and at or above which it is ticked. */
  emptyBelow: number;
  tickedAbove: number;
  /** The hollow inside the four sides, as a share of the side, for any box and for a ticked one. */
  minHollow: number;
  minTickedHollow: number;
  /** A box filled beyond this share is a bullet (■), not a check-box. */
  maxInterior: number;
}

export const DEFAULT_CHECKBOX_OPTIONS: CheckBoxOptions = {
  inkBelow: 170,
  minSide: 0.4,
  maxSide: 1.9,
  minSideInk: 0.85,
  emptyBelow: 0.06,
  tickedAbove: 0.12,
  minHollow: 0.5,
  minTickedHollow: 0.6,
  maxInterior: 0.6,
};

/** Text height, in samples, that a page's text is brought down to by sampling (see `findCheckBoxes`). */
const SAMPLED_TEXT_HEIGHT = 20;

/** Absolute floor for a box side, in samples (pixels on a page of small text): below it a blob is too small to tell a box from a letter. */
const MIN_SIDE_PX = 7;

/**
 * Finds check-boxes on `page` whose side is within the options' range of `textHeight`.
 *
 * @example
 *   const boxes = findCheckBoxes(page, medianTextHeight(detected)); // medianTextHeight from detect.ts
 *   boxes[0]; // { ticked: true, x0: 288, y0: 360, x1: 302, y1: 373, confidence: 0.95 }
 */
export function findCheckBoxes(
  page: RgbImage,
  textHeight: number,
  options: CheckBoxOptions = DEFAULT_CHECKBOX_OPTIONS,
): CheckBox[] {
  if (textHeight <= 0) return [];
  // Large text (a receipt photographed at 4961×7016, text 100 px high) is looked at every `step` pixels, so
  // the search costs the same few milliseconds as a 100-dpi form's; a box's outline is then still ≥ 1 sample
  // thick. Coordinates below are in samples until the box is returned.
  const step = Math.max(1, Math.floor(textHeight / SAMPLED_TEXT_HEIGHT));
  const width = Math.floor(page.width / step);
  const height = Math.floor(page.height / step);
  const data = page.data;
  const minSide = Math.max(MIN_SIDE_PX, (options.minSide * textHeight) / step);
  const maxSide = (options.maxSide * textHeight) / step;
  const ink = new Uint8Array(width * height);
  const limit = options.inkBelow * 3;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0, p = y * step * page.width * 3; x < width; x++, i++, p += step * 3) {
      ink[i] = data[p]! + data[p + 1]! + data[p + 2]! < limit ? 1 : 0;
    }
  }
  // Connected components (8-neighbour) by an explicit stack; `seen` doubles as the visited mark.
  const seen = new Uint8Array(width * height);
  const stack = new Int32Array(width * height);
  const found: CheckBox[] = [];
  for (let start = 0; start < ink.length; start++) {
    if (ink[start] === 0 || seen[start] === 1) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let x0 = width;
    let y0 = height;
    let x1 = -1;
    let y1 = -1;
    let tooBig = false;
    while (top > 0) {
      const i = stack[--top]!;
      const x = i % width;
      const y = (i - x) / width;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (x1 - x0 > maxSide || y1 - y0 > maxSide) tooBig = true;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const j = yy * width + xx;
          if (ink[j] === 1 && seen[j] === 0) {
            seen[j] = 1;
            stack[top++] = j;
          }
        }
      }
    }
    if (tooBig) continue;
    const box = judgeBlob(ink, width, x0, y0, x1, y1, minSide, options);
    if (box)
      found.push({ ...box, x0: box.x0 * step, y0: box.y0 * step, x1: box.x1 * step, y1: box.y1 * step });
  }
  return found;
}

/** Whether the blob in [x0..x1]×[y0..y1] is a check-box, and if so whether it is ticked. */
function judgeBlob(
  ink: Uint8Array,
  width: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  minSide: number,
  options: CheckBoxOptions,
): CheckBox | undefined {
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  if (w < minSide || h < minSide) return undefined;
  if (Math.abs(w - h) > 0.15 * Math.max(w, h) + 1) return undefined;
  const at = (x: number, y: number): number => ink[y * width + x]!;
  // Each side is one straight row or column of ink nearly the blob's whole length, found within the band next
  // to that edge (the outline is 1-3 px thick and may sit a pixel in from a blurred edge). A round letter
  // (O, 0, o) or one with a curved side (D, P, B) fills no such row or column on every side.
  const band = Math.max(2, Math.round(0.25 * Math.min(w, h)));
  const rowInk = (y: number): number => {
    let n = 0;
    for (let x = x0; x <= x1; x++) n += at(x, y);
    return n / w;
  };
  const colInk = (x: number): number => {
    let n = 0;
    for (let y = y0; y <= y1; y++) n += at(x, y);
    return n / h;
  };
  const bestOf = (from: number, step: number, share: (k: number) => number): { at: number; ink: number } => {
    let best = { at: from, ink: -1 };
    for (let k = 0; k < band; k++) {
      const v = share(from + step * k);
      if (v > best.ink) best = { at: from + step * k, ink: v };
    }
    return best;
  };
  const top = bestOf(y0, 1, rowInk);
  const bottom = bestOf(y1, -1, rowInk);
  const left = bestOf(x0, 1, colInk);
  const right = bestOf(x1, -1, colInk);
  const weakest = Math.min(top.ink, bottom.ink, left.ink, right.ink);
  if (weakest < options.minSideInk) return undefined;
  // A square letter inside a word (a dot-matrix receipt's "O" in TOTAL) has letters close on both sides; a
  // check-box has its label on one side, or a wide gap.
  const gap = Math.max(2, Math.min(w, h));
  const inkBeside = (xa: number, xb: number): boolean => {
    for (let x = Math.max(0, xa); x <= Math.min(width - 1, xb); x++) {
      for (let y = y0; y <= y1; y++) if (at(x, y) === 1) return true;
    }
    return false;
  };
  if (inkBeside(x0 - gap, x0 - 1) && inkBeside(x1 + 1, x1 + gap)) return undefined;
  // Corners: where two side lines meet there is ink (within a pixel inwards, for a soft corner). A letter
  // with a round side (D, O, C) meets its straight ones in a curve that leaves these pixels blank.
  const cornerInk = (x: number, y: number, dx: number, dy: number): boolean =>
    at(x, y) + at(x + dx, y) + at(x, y + dy) + at(x + dx, y + dy) > 0;
  if (
    !cornerInk(left.at, top.at, 1, 1) ||
    !cornerInk(right.at, top.at, -1, 1) ||
    !cornerInk(left.at, bottom.at, 1, -1) ||
    !cornerInk(right.at, bottom.at, -1, -1)
  ) {
    return undefined;
  }
  // Interior: inside the four sides, each side's line followed inwards while it is still mostly ink (a thick
  // or blurred outline is 2-3 px deep at 100 dpi).
  const inward = (from: number, step: number, share: (k: number) => number, stop: number): number => {
    let k = from + step;
    while (k !== stop && share(k) >= 0.75) k += step;
    return k;
  };
  const iy0 = inward(top.at, 1, rowInk, y1);
  const iy1 = inward(bottom.at, -1, rowInk, y0);
  const ix0 = inward(left.at, 1, colInk, x1);
  const ix1 = inward(right.at, -1, colInk, x0);
  if (ix1 < ix0 || iy1 < iy0) return undefined;
  // A hollow smaller than half the side is a bold letter's counter (B, 8, R at 100 dpi), not a box's
  // interior; on FUNSD dev every ticked box's hollow was 0.64-0.72 of its side and no letter's reached 0.6.
  const hollow = Math.min((ix1 - ix0 + 1) / w, (iy1 - iy0 + 1) / h);
  if (hollow < options.minHollow) return undefined;
  let inside = 0;
  const iw = ix1 - ix0 + 1;
  const ih = iy1 - iy0 + 1;
  const rows = new Array<number>(ih).fill(0);
  const cols = new Array<number>(iw).fill(0);
  for (let y = iy0; y <= iy1; y++) {
    for (let x = ix0; x <= ix1; x++) {
      const v = at(x, y);
      inside += v;
      rows[y - iy0]! += v;
      cols[x - ix0]! += v;
    }
  }
  // A tick or cross runs diagonally, so no interior row or column is mostly ink; two letters run together by
  // the scan's blur (ED, OU) put a letter's upright stroke there, and a B or 8 its middle bar.
  const straightStroke = Math.max(...rows.map((r) => r / iw), ...cols.map((c) => c / ih));
  const share = inside / (iw * ih);
  if (share > options.maxInterior) return undefined;
  let ticked: boolean;
  if (share <= options.emptyBelow) ticked = false;
  else if (share >= options.tickedAbove && hollow >= options.minTickedHollow && straightStroke <= 0.75) {
    ticked = true;
  } else return undefined;
  return { ticked, x0, y0, x1: x1 + 1, y1: y1 + 1, confidence: Math.round(weakest * 1000) / 1000 };
}

/**
 * Characters the recogniser made of a check-box on FUNSD dev (or plausibly would): removed from the line
 * end next to a found box. Latin look-alikes only when they stand alone as a word.
 */
const BOX_READINGS = new Set(['区', '口', '□', '■', '回', '図', '凶', '囚', '☒', '[', ']', '[]', '|', '()']);
const LONE_BOX_READINGS = new Set(['x', 'X', 'O', 'o', 'D', '0', 'K']);

function boxQuad(b: CheckBox): Quad {
  return [b.x0, b.y0, b.x1, b.y0, b.x1, b.y1, b.x0, b.y1];
}

/**
 * Puts found boxes into the recognised lines: a box inside a line's quad is written at that end of the line
 * (or between the words nearest its position), replacing a box-like reading there; a box in no line becomes
 * a line of its own. A line holding Chinese text takes no box, since 口, 日 or 回 drawn in a CJK font have
 * exactly a box's shape.
 */
export function placeCheckBoxes(items: readonly LayoutItem[], boxes: readonly CheckBox[]): LayoutItem[] {
  const out = items.map((it) => ({ ...it }));
  const extra: LayoutItem[] = [];
  for (const b of boxes) {
    const cx = (b.x0 + b.x1) / 2;
    const cy = (b.y0 + b.y1) / 2;
    const bw = b.x1 - b.x0;
    const host = out.find((it) => {
      const q = quadBounds(it.quad);
      const overlap = Math.min(q.maxX, b.x1) - Math.max(q.minX, b.x0);
      return overlap >= 0.5 * bw && cy >= q.minY && cy <= q.maxY;
    });
    const glyph = b.ticked ? TICKED_BOX : EMPTY_BOX;
    if (!host) {
      extra.push({ text: glyph, quad: boxQuad(b), confidence: b.confidence });
      continue;
    }
    const core = Array.from(host.text.trim());
    while (core.length > 0 && BOX_READINGS.has(core[0]!)) core.shift();
    while (core.length > 0 && BOX_READINGS.has(core[core.length - 1]!)) core.pop();
    if (core.some(isCjkCharacter)) continue;
    const q = quadBounds(host.quad);
    const f = (cx - q.minX) / Math.max(1, q.maxX - q.minX);
    host.text = insertGlyph(host.text, glyph, f);
  }
  return [...out, ...extra];
}

/** Inserts `glyph` as a word at fraction `f` of `text`, dropping a box-like reading next to it. */
export function insertGlyph(text: string, glyph: string, f: number): string {
  const words = text.split(' ').filter((w) => w.length > 0);
  const chars = words.reduce((n, w) => n + w.length, 0);
  // The word boundary nearest to the box's position along the line.
  let at = 0;
  let best = Infinity;
  for (let k = 0, seen = 0; k <= words.length; k++) {
    const d = Math.abs(seen / Math.max(1, chars) - f);
    if (d < best) {
      best = d;
      at = k;
    }
    if (k < words.length) seen += words[k]!.length;
  }
  const strip = (i: number, fromStart: boolean): void => {
    const w = words[i];
    if (w === undefined) return;
    if (BOX_READINGS.has(w) || LONE_BOX_READINGS.has(w)) {
      words.splice(i, 1);
      if (i < at) at--;
      return;
    }
    const ch = fromStart ? w[0]! : w[w.length - 1]!;
    if (BOX_READINGS.has(ch)) words[i] = fromStart ? w.slice(1) : w.slice(0, -1);
  };
  strip(at, true);
  if (at > 0) strip(at - 1, false);
  words.splice(at, 0, glyph);
  return words.join(' ');
}
