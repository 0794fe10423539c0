import { isCjkCharacter } from '../../text/cjk.js';
import type { DecodedChar } from './ctc.js';
import type { RgbImage } from './pixels.js';

/**
 * Word spaces: the one place that decides where a recognised line has spaces between words.
 *
 * The recogniser reads characters well but often drops the spaces between words ("UserManual") and,
 * on receipts printed in monospaced fonts, the gap around a narrow letter looks like a word gap
 * ("SUPPL IES"). Three measurements per pair of neighbouring characters, each weak alone, decide:
 *
 * - the widest run of blank columns of the strip between the two characters, in text heights
 *   (a word gap is blank; a letter gap is narrow, but wide next to an "I" in a monospaced font);
 * - the distance between the characters' centres (CTC timing) over the line's median distance
 *   (in a monospaced font a space doubles the pitch exactly; in a proportional one it adds ~0.3 em);
 * - the model's own space class, which wins at clear word gaps and rises a little at faint ones.
 *
 * They are added as evidence (a logistic score, weights fitted on the SROIE and FUNSD dev splits by
 * `tools/ocr-words.ts`) and a space goes where the score is positive.
 */
export interface WordGapOptions {
  /** Weights of the evidence between two letters or digits: a space where bias + Σ weight·measurement > 0. */
  weights?: Partial<WordGapWeights>;
  /** Weights next to a punctuation mark, whose narrow glyph makes blank runs and pitch read differently. */
  punctuationWeights?: Partial<WordGapWeights>;
  /** Next to a CJK character a space needs a blank run this many text heights wide, or the model's own space. */
  cjkGapRatio?: number;
}

export interface WordGapWeights {
  bias: number;
  /** Per text height of blank run (capped at 1.5). */
  blank: number;
  /** Per unit of centre distance over the line's median (capped at 3). */
  pitch: number;
  /** Per decade of the space-class probability (log10, floored at 1e-4). */
  spaceProb: number;
}

/** Fitted on the dev splits' labelled character pairs (`npx tsx tools/ocr-words.ts fit ...`). */
export const DEFAULT_WEIGHTS: WordGapWeights = {
  bias: 0.84,
  blank: 1.04,
  pitch: 1.88,
  spaceProb: 2.64,
};

/** Fitted as DEFAULT_WEIGHTS, on the pairs next to a punctuation mark. */
export const DEFAULT_PUNCTUATION_WEIGHTS: WordGapWeights = {
  bias: 0.22,
  blank: 0.67,
  pitch: 1.47,
  spaceProb: 1.15,
};

export interface InkProfile {
  /** 1 where the column holds ink. */
  columns: Uint8Array;
  /** Height in pixels of the band of rows that holds most ink (≈ cap height), 0 for a blank strip. */
  textHeight: number;
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

/** What the space rule sees between a character and the one before it. */
export interface CharGap {
  /** Widest run of blank columns between the two characters' centres, in text heights (0: no ink found). */
  blank: number;
  /** Centre distance over the line's median centre distance (1 = the usual letter pitch; 1 for short lines). */
  pitch: number;
  /** Highest probability of the space class between the two (high where the model emitted a space). */
  spaceProb: number;
  /** The model emitted a space here. */
  emitted: boolean;
  /** One of the two characters is neither a letter nor a digit. */
  punctuation: boolean;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Measures the gap before each non-space character of a line (entry 0, the first character, is all
 * zeros). `stepWidth` is the strip width covered by one time step.
 */
export function measureGaps(chars: readonly DecodedChar[], strip: RgbImage, stepWidth: number): CharGap[] {
  const profile = inkProfile(strip);
  const letters = chars.filter((c) => c.char !== ' ');
  const emitted = chars.flatMap((c, i) => (c.char === ' ' ? [] : [chars[i - 1]?.char === ' ']));
  const distances: number[] = [];
  for (let i = 1; i < letters.length; i++)
    if (!isCjkCharacter(letters[i]!.char) && !isCjkCharacter(letters[i - 1]!.char))
      distances.push(letters[i]!.centre - letters[i - 1]!.centre);
  // Fewer than three distances say little about the pitch: treat every gap as usual.
  const pitch = distances.length >= 3 ? median(distances) : NaN;
  return letters.map((b, i) => {
    const a = letters[i - 1];
    if (!a) return { blank: 0, pitch: 0, spaceProb: 0, emitted: false, punctuation: false };
    const run = widestBlankRun(profile.columns, (a.centre + 0.5) * stepWidth, (b.centre + 0.5) * stepWidth);
    return {
      blank: profile.textHeight > 0 ? run / profile.textHeight : 0,
      pitch: pitch > 0 ? (b.centre - a.centre) / pitch : 1,
      spaceProb: b.spaceBefore,
      emitted: emitted[i]!,
      punctuation: /[^\p{L}\p{N}]/u.test(a.char + b.char),
    };
  });
}

/** The evidence for a space in a gap between two non-CJK characters (positive: a space). */
export function spaceScore(gap: CharGap, weights: WordGapWeights = DEFAULT_WEIGHTS): number {
  return (
    weights.bias +
    weights.blank * Math.min(gap.blank, 1.5) +
    weights.pitch * Math.min(gap.pitch, 3) +
    weights.spaceProb * Math.log10(gap.spaceProb + 1e-4)
  );
}

/**
 * Joins decoded characters into text with a space in every word gap (see the top of this file).
 * Between two CJK characters only the model's own spaces are kept; next to one, a space also needs a
 * blank run of `cjkGapRatio` text heights.
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
  const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
  const punctuationWeights = { ...DEFAULT_PUNCTUATION_WEIGHTS, ...options.punctuationWeights };
  const cjkGapRatio = options.cjkGapRatio ?? 1.0;
  const letters = chars.filter((c) => c.char !== ' ');
  const gaps = measureGaps(chars, strip, stepWidth);
  let out = '';
  letters.forEach((b, i) => {
    const a = letters[i - 1];
    if (a) {
      const gap = gaps[i]!;
      const aCjk = isCjkCharacter(a.char);
      const bCjk = isCjkCharacter(b.char);
      const space =
        aCjk && bCjk
          ? gap.emitted
          : aCjk || bCjk
            ? gap.emitted || gap.blank >= cjkGapRatio
            : spaceScore(gap, gap.punctuation ? punctuationWeights : weights) > 0;
      if (space) out += ' ';
    }
    out += b.char;
  });
  return out;
}
