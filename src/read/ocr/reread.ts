import type { Quad } from '../types.js';
import { TALL_RATIO, turnQuadCounterClockwise, warpQuad } from './crop.js';
import type { DecodedLine } from './ctc.js';
import { quadSize } from './geometry.js';
import type { RgbImage } from './pixels.js';
import type { RecognizedStrip } from './recognize.js';

/**
 * A second reading of doubtful lines. A line whose least sure character is below `below` is cropped again
 * stretched horizontally (more model time steps per character, so narrow or crowded glyphs of low-resolution
 * scans get more than one step each) and recognised again; the second reading replaces the first when its
 * mean confidence is higher by at least `margin`. The weakest character, not the line's mean, picks the
 * lines: one wrong character in a 30-character line barely moves the mean (SROIE dev: 8 % of the lines at a
 * mean ≥ 0.98 are wrong), while lines whose weakest character is under 0.5 are wrong 71-93 % of the time on
 * SROIE and FUNSD dev.
 */

/** Which lines are read again, how, and when the second reading wins. */
export interface RereadOptions {
  /** Lines whose weakest character's probability is below this are read again; 0 turns re-reading off. */
  below: number;
  /** Width of the second crop relative to the first (same height). */
  stretch: number;
  /**
   * How much more confident (mean character probability) the second reading must be to replace the first.
   * Near-ties are coin tosses between two guesses; on the dev splits a margin of 0.02-0.03 kept the gains and
   * dropped swaps that cost characters (SROIE char F1 ci 0.9836 at 0, 0.9839 at 0.02).
   */
  margin: number;
}

/**
 * Chosen on SROIE and FUNSD dev (int8, 1 thread; README "Second reading of doubtful lines"): 9-12 % of the
 * strip width is read again. Below 0.5 catches the lines that are mostly wrong; at 0.6 three times as much
 * width is read again and SROIE loses more than it gains.
 */
export const DEFAULT_REREAD: RereadOptions = { below: 0.5, stretch: 1.25, margin: 0.02 };

/** The probability of the line's least sure character (1 for a line without characters: nothing to doubt). */
export function weakestCharProb(line: DecodedLine): number {
  return line.chars.reduce((min, c) => Math.min(min, c.prob), 1);
}

/**
 * Indices of the lines worth a second reading: kept by the engine (confidence ≥ `minConfidence`, so a
 * second reading never turns a dropped speck of noise into text) and with a character below `below`.
 *
 * @example
 *   doubtfulLines(decoded, 0.5, 0.5); // [3, 17]
 */
export function doubtfulLines(lines: readonly DecodedLine[], below: number, minConfidence: number): number[] {
  const out: number[] = [];
  lines.forEach((line, i) => {
    if (line.text.length > 0 && line.confidence >= minConfidence && weakestCharProb(line) < below)
      out.push(i);
  });
  return out;
}

/**
 * Crops a text box as `cropTextLine` does (tall boxes turned 90° counter-clockwise, `height` px high), but
 * `stretch` times as wide.
 */
export function cropStretched(page: RgbImage, quad: Quad, height: number, stretch: number): RgbImage {
  let q = quad;
  let { width, height: h } = quadSize(q);
  if (h / Math.max(width, 1e-6) >= TALL_RATIO) {
    q = turnQuadCounterClockwise(q);
    [width, h] = [h, width];
  }
  return warpQuad(page, q, Math.max(1, (width * height * stretch) / Math.max(h, 1e-6)), height);
}

/**
 * Reads the doubtful lines of `first` again from the strips `secondStrip` gives and returns all lines, each
 * its second reading where that is more confident by at least `margin`, else its first.
 *
 * @example
 *   const lines = await rereadDoubtfulLines(first, (i) => cropStretched(page, quads[i], 48, 1.25),
 *     (strips) => recognizeStrips(rec, strips, dictionary, { batchSize: 16 }),
 *     { below: 0.5, margin: 0.02, minConfidence: 0.5 });
 */
export async function rereadDoubtfulLines(
  first: readonly RecognizedStrip[],
  secondStrip: (index: number) => RgbImage,
  read: (strips: RgbImage[]) => Promise<RecognizedStrip[]>,
  options: { below: number; margin: number; minConfidence: number },
): Promise<RecognizedStrip[]> {
  const lines = [...first];
  const doubtful = doubtfulLines(first, options.below, options.minConfidence);
  if (doubtful.length === 0) return lines;
  const second = await read(doubtful.map(secondStrip));
  doubtful.forEach((index, k) => {
    if (second[k]!.confidence >= lines[index]!.confidence + options.margin) lines[index] = second[k]!;
  });
  return lines;
}
