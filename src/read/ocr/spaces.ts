import { gapExcess, isCjk, type DecodedChar } from './ctc.js';
import type { RgbImage } from './pixels.js';

/**
 * Word segmentation from the pixels. The recogniser reads characters well but often drops the spaces
 * between words ("UserManual"); its character timings are too coarse (one step = 8 px) to tell a word
 * gap from a letter gap. The strip itself is not: between two words there is a run of blank columns
 * wider than any gap inside a word. So we binarise the strip, measure the blank run between each pair
 * of neighbouring characters, and call it a space when it is wide relative to the text height.
 * Two timing signals add what the pixels miss (letters touching an underline): the model's own
 * space class, which often rises a little at a word gap without winning, and a wide time gap.
 * Defaults were tuned on SROIE/FUNSD dev subsets (word F1).
 */
export interface InkProfile {
  /** 1 where the column holds ink. */
  columns: Uint8Array;
  /** Height in pixels of the band of rows that holds most ink (≈ cap height), 0 for a blank strip. */
  textHeight: number;
}

export interface WordGapOptions {
  /** A blank run at least this many text heights wide is a space (Latin/digits). */
  gapRatio?: number;
  /** Next to a CJK character the run must be this wide (CJK text rarely puts spaces there). */
  cjkGapRatio?: number;
  /** Also a space where the character timing shows a gap this many ems wider than expected. */
  timeGapEm?: number;
  /** Also a space where the model's space class reached this probability between two characters. */
  spaceProb?: number;
}

/** Otsu's threshold on a 256-bin histogram. */
function otsu(hist: Uint32Array, total: number): number {
  let sumAll = 0;
  for (let i = 0; i < 256; i++) sumAll += i * hist[i]!;
  let sumB = 0;
  let wB = 0;
  let best = 0;
  let bestVar = -1;
  for (let t = 0; t < 256; t++) {
    wB += hist[t]!;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * hist[t]!;
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const v = wB * wF * (mB - mF) * (mB - mF);
    if (v > bestVar) {
      bestVar = v;
      best = t;
    }
  }
  return best;
}

/** Binarises a strip (ink = the minority side of Otsu's threshold) and profiles its columns. */
export function inkProfile(strip: RgbImage): InkProfile {
  const { width, height, data } = strip;
  const n = width * height;
  const grey = new Uint8Array(n);
  const hist = new Uint32Array(256);
  let lo = 255;
  let hi = 0;
  for (let i = 0; i < n; i++) {
    const v = (data[3 * i]! * 77 + data[3 * i + 1]! * 150 + data[3 * i + 2]! * 29) >> 8;
    grey[i] = v;
    hist[v]!++;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const columns = new Uint8Array(width);
  if (hi - lo < 40) return { columns, textHeight: 0 };
  const t = otsu(hist, n);
  let dark = 0;
  for (let v = 0; v <= t; v++) dark += hist[v]!;
  // Text is the minority: dark text on paper, or light text on a dark band.
  const inkIsDark = dark <= n / 2;
  const ink = new Uint8Array(n);
  for (let i = 0; i < n; i++) ink[i] = (inkIsDark ? grey[i]! <= t : grey[i]! > t) ? 1 : 0;
  // Erase long horizontal runs: underlines, table and box edges. No letter is a strip-height wide,
  // and a rule would fill every blank column between words.
  const longRun = height;
  for (let y = 0; y < height; y++) {
    let runStart = -1;
    for (let x = 0; x <= width; x++) {
      const on = x < width && ink[y * width + x] === 1;
      if (on && runStart < 0) runStart = x;
      if (!on && runStart >= 0) {
        if (x - runStart >= longRun) ink.fill(0, y * width + runStart, y * width + x);
        runStart = -1;
      }
    }
  }
  const isInk = (i: number): boolean => ink[i] === 1;
  const rowInk = new Uint32Array(height);
  for (let y = 0; y < height; y++) {
    let c = 0;
    for (let x = 0; x < width; x++) if (isInk(y * width + x)) c++;
    rowInk[y] = c;
  }
  // Rows inked across most of the strip are rules (underlines, table and box edges), not text: they
  // would fill every blank column, so they are left out.
  const rule = (y: number): boolean => rowInk[y]! > 0.6 * width;
  let maxRow = 0;
  for (let y = 0; y < height; y++) if (!rule(y)) maxRow = Math.max(maxRow, rowInk[y]!);
  // Text band: rows with at least a quarter of the busiest text row's ink.
  let top = -1;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    if (!rule(y) && rowInk[y]! >= maxRow / 4 && maxRow > 0) {
      if (top < 0) top = y;
      bottom = y;
    }
  }
  if (top < 0) return { columns, textHeight: 0 };
  // Columns are profiled over the band widened by a quarter (ascenders, descenders), rules excluded.
  const pad = Math.round((bottom - top + 1) / 4);
  for (let y = Math.max(0, top - pad); y <= Math.min(height - 1, bottom + pad); y++) {
    if (rule(y)) continue;
    for (let x = 0; x < width; x++) if (isInk(y * width + x)) columns[x] = 1;
  }
  return { columns, textHeight: top < 0 ? 0 : bottom - top + 1 };
}

/** Widest run of blank columns within [from, to). */
function widestBlankRun(columns: Uint8Array, from: number, to: number): number {
  let best = 0;
  let run = 0;
  for (let x = Math.max(0, Math.floor(from)); x < Math.min(columns.length, Math.ceil(to)); x++) {
    if (columns[x] === 0) {
      run++;
      if (run > best) best = run;
    } else run = 0;
  }
  return best;
}

/**
 * Joins decoded characters into text, with a space wherever the model emitted one or the strip shows
 * a wide blank run between two characters. `stepWidth` is the strip width covered by one time step.
 *
 * @example
 *   segmentWords(line.chars, strip, line.stepWidth); // "User Manual"
 */
export function segmentWords(
  chars: readonly DecodedChar[],
  strip: RgbImage,
  stepWidth: number,
  options: WordGapOptions = {},
): string {
  const gapRatio = options.gapRatio ?? 0.55;
  const cjkGapRatio = options.cjkGapRatio ?? 1.0;
  const timeGapEm = options.timeGapEm ?? 0.8;
  const spaceProb = options.spaceProb ?? 0.02;
  const profile = inkProfile(strip);
  const excess = gapExcess(chars);
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const b = chars[i]!;
    const a = chars[i - 1];
    if (a && a.char !== ' ' && b.char !== ' ') {
      const aCjk = isCjk(a.char);
      const bCjk = isCjk(b.char);
      if (!(aCjk && bCjk)) {
        const gap = widestBlankRun(
          profile.columns,
          (a.centre + 0.5) * stepWidth,
          (b.centre + 0.5) * stepWidth,
        );
        const byInk =
          profile.textHeight > 0 && gap >= (aCjk || bCjk ? cjkGapRatio : gapRatio) * profile.textHeight;
        const byTime = !aCjk && !bCjk && (excess[i]! > timeGapEm || b.spaceBefore >= spaceProb);
        if (byInk || byTime) out += ' ';
      }
    }
    out += b.char;
  }
  return out.replace(/\s+/g, ' ').trim();
}
