import { TALL_RATIO } from './crop.js';
import { quadSize } from './geometry.js';
import type { ModelRunner } from './models.js';
import type { RgbImage } from './pixels.js';
import { packStrips, REC_HEIGHT } from './recognize.js';
import type { Quad } from '../types.js';

/**
 * Orientation, per line and per page. Lines: the PP-OCR direction classifier says 0° or 180°.
 * Pages: a page turned by 90°/270° shows mostly tall boxes; which of the two it is (and whether an
 * upright-looking page is upside down) is decided by the classifier's vote over a sample of lines.
 */

export type Rotation = 0 | 90 | 180 | 270;

/** The classifier's input width (48×192). */
const CLS_WIDTH = 192;

export interface LineOrientation {
  /** 180 when the strip is upside down. */
  angle: 0 | 180;
  /** The classifier's probability for that angle. */
  prob: number;
}

/** Classifies strips (REC_HEIGHT px high) as upright or upside down, `batchSize` per call. */
export async function classifyStrips(
  runner: ModelRunner,
  strips: readonly RgbImage[],
  batchSize: number,
): Promise<LineOrientation[]> {
  const out: LineOrientation[] = [];
  for (let at = 0; at < strips.length; at += batchSize) {
    const batch = strips.slice(at, at + batchSize);
    const res = await runner.run(packStrips(batch, REC_HEIGHT, CLS_WIDTH), [
      batch.length,
      3,
      REC_HEIGHT,
      CLS_WIDTH,
    ]);
    for (let k = 0; k < batch.length; k++) {
      const p0 = res.data[2 * k]!;
      const p180 = res.data[2 * k + 1]!;
      out.push(p180 > p0 ? { angle: 180, prob: p180 } : { angle: 0, prob: p0 });
    }
  }
  return out;
}

/** Share of boxes, weighted by their long side, that are tall (vertical text or a sideways page). */
export function tallShare(quads: readonly Quad[]): number {
  let tall = 0;
  let all = 0;
  for (const q of quads) {
    const { width, height } = quadSize(q);
    const weight = Math.max(width, height);
    all += weight;
    if (height / Math.max(width, 1e-6) >= TALL_RATIO) tall += weight;
  }
  return all === 0 ? 0 : tall / all;
}

/** Picks up to `n` of the longest boxes: long lines give the classifier the most evidence. */
export function sampleForVote(quads: readonly Quad[], n: number): Quad[] {
  return [...quads]
    .sort((a, b) => {
      const sa = quadSize(a);
      const sb = quadSize(b);
      return Math.max(sb.width, sb.height) - Math.max(sa.width, sa.height);
    })
    .slice(0, n);
}

/**
 * Whether most sampled strips are upside down, by confident votes (prob ≥ `minProb`).
 * Needs a clear majority so one noisy line cannot flip a page.
 */
export function mostlyUpsideDown(votes: readonly LineOrientation[], minProb = 0.8): boolean {
  let flipped = 0;
  let upright = 0;
  for (const v of votes) {
    if (v.prob < minProb) continue;
    if (v.angle === 180) flipped++;
    else upright++;
  }
  return flipped > 0 && flipped >= 2 * upright;
}
