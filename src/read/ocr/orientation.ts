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

/**
 * Windows of a strip the classifier can see unsqueezed: the strip itself when it is short, else up
 * to three CLS_WIDTH-wide pieces spread along it. Squeezing a long line into 48×192 (as PaddleOCR
 * does) leaves nothing legible, and lower-case lines then read as upside down.
 */
function windows(strip: RgbImage): RgbImage[] {
  if (strip.width <= CLS_WIDTH * 1.5) return [strip];
  const count = Math.min(3, Math.floor(strip.width / CLS_WIDTH));
  const out: RgbImage[] = [];
  for (let k = 0; k < count; k++) {
    const x0 = Math.round(((strip.width - CLS_WIDTH) * (k + 0.5)) / count);
    const data = new Uint8Array(CLS_WIDTH * strip.height * 3);
    for (let y = 0; y < strip.height; y++) {
      data.set(
        strip.data.subarray((y * strip.width + x0) * 3, (y * strip.width + x0 + CLS_WIDTH) * 3),
        y * CLS_WIDTH * 3,
      );
    }
    out.push({ data, width: CLS_WIDTH, height: strip.height });
  }
  return out;
}

/** Classifies strips (REC_HEIGHT px high) as upright or upside down, `batchSize` windows per call. */
export async function classifyStrips(
  runner: ModelRunner,
  strips: readonly RgbImage[],
  batchSize: number,
): Promise<LineOrientation[]> {
  const pieces: { strip: number; image: RgbImage }[] = [];
  strips.forEach((s, i) => {
    for (const w of windows(s)) pieces.push({ strip: i, image: w });
  });
  const sum180 = new Float64Array(strips.length);
  const count = new Uint32Array(strips.length);
  for (let at = 0; at < pieces.length; at += batchSize) {
    const batch = pieces.slice(at, at + batchSize);
    const res = await runner.run(
      packStrips(
        batch.map((p) => p.image),
        REC_HEIGHT,
        CLS_WIDTH,
      ),
      [batch.length, 3, REC_HEIGHT, CLS_WIDTH],
    );
    batch.forEach((p, k) => {
      const p0 = res.data[2 * k]!;
      const p180 = res.data[2 * k + 1]!;
      sum180[p.strip]! += p180 / (p0 + p180);
      count[p.strip]!++;
    });
  }
  return strips.map((_, i) => {
    const p180 = count[i]! > 0 ? sum180[i]! / count[i]! : 0;
    return p180 > 0.5 ? { angle: 180, prob: p180 } : { angle: 0, prob: 1 - p180 };
  });
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
