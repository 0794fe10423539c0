import type { Quad } from '../types.js';
import { minAreaRect, quadArea, quadBounds, quadSize, rectToQuad, type Point } from './geometry.js';
import type { ModelRunner } from './models.js';
import { resizeRgb, type RgbImage } from './pixels.js';

/**
 * DB text detection (PP-OCRv4 det): scale the page, predict a text-probability map, threshold it,
 * take connected regions, fit rotated rectangles, score them, and grow ("unclip") each one back to
 * the full text height, since DB predicts shrunken text kernels.
 */
export interface DetectedBox {
  /** Corners in page pixels, clockwise from top-left; the top edge runs along the text. */
  quad: Quad;
  /** Mean text probability inside the box before unclipping, 0..1. */
  score: number;
}

export interface DetectOptions {
  /** Long side the page is scaled to (rounded to a multiple of 32). */
  maxSide: number;
  /** Long side of the quick first pass on large pages (default 1280; `maxSide` or more: one full pass). */
  quickSide?: number;
  /** Small pages are scaled up at most this much (default 1.5, towards a 1536-px long side). */
  maxUpscale?: number;
  /** Probability above which a map pixel counts as text. */
  threshold?: number;
  /** Boxes with a lower mean probability are dropped. */
  boxThreshold?: number;
  /** How far a kernel grows back: distance = area × ratio / perimeter. */
  unclipRatio?: number;
}

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** Packs RGB pixels into the det model's input: NCHW, BGR order (PaddleOCR reads with OpenCV), ImageNet-normalised. */
function toDetTensor(img: RgbImage): Float32Array {
  const { width, height, data } = img;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const src = 2 - c; // BGR
    const m = MEAN[c]!;
    const s = STD[c]!;
    const base = c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = (data[3 * i + src]! / 255 - m) / s;
  }
  return out;
}

/** Long side that small pages are enlarged towards. */
const UPSCALE_TARGET = 1536;
/**
 * Long side of the first, cheaper pass on large pages. At 1280 instead of 1920 the detector costs ~45 % as
 * much, and 300-dpi A4 pages with 10-pt text read the same (char F1 0.999-1.000 on the bench pages).
 */
const QUICK_SIDE = 1280;
/**
 * Median box height (map pixels) below which the quick pass is thrown away for a full-size one. Measured on
 * dense A4 pages at 300 dpi, 1280-px pass: Latin type of 42/36/28/24/20/16 px gives 20.5/18.0/17.7/15.5/15.0/
 * 10.2-px boxes (from 20 px down the quick pass splits or loses lines; 24 px lost 0.1 % of characters);
 * Chinese type of 30/22/18 px gives 15.5/15.2/14.3. Below 16 the page is read again at full size.
 */
const SMALL_TEXT = 16;

const round32 = (v: number): number => Math.max(32, Math.round(v / 32) * 32);

/** Runs the detector on the page scaled by about `scale`; boxes in page pixels, and the scale used. */
async function detectAtScale(
  runner: ModelRunner,
  page: RgbImage,
  scale: number,
  options: DetectOptions,
): Promise<{ boxes: DetectedBox[]; scale: number }> {
  const w = round32(page.width * scale);
  const h = round32(page.height * scale);
  const scaled = await resizeRgb(page, w, h);
  const out = await runner.run(toDetTensor(scaled), [1, 3, h, w]);
  const boxes = boxesFromProbabilityMap(out.data, w, h, options);
  const sx = page.width / w;
  const sy = page.height / h;
  return {
    scale: Math.sqrt((w * h) / (page.width * page.height)),
    boxes: mergeOverlappingBoxes(
      boxes.map((b) => ({
        score: b.score,
        quad: b.quad.map((v, i) => (i % 2 === 0 ? v * sx : v * sy)) as Quad,
      })),
    ),
  };
}

/** Median of the boxes' short sides, in page pixels. */
export function medianTextHeight(boxes: readonly DetectedBox[]): number {
  const heights = boxes.map((b) => {
    const { width, height } = quadSize(b.quad);
    return Math.min(width, height);
  });
  heights.sort((x, y) => x - y);
  return heights[Math.floor(heights.length / 2)] ?? 0;
}

/**
 * Finds text boxes on the page. Large pages are first read at a quick size (`quickSide`); only when their
 * text turns out small there (or none is found) is the page read again at `maxSide`.
 */
export async function detectText(
  runner: ModelRunner,
  page: RgbImage,
  options: DetectOptions,
): Promise<DetectedBox[]> {
  const long = Math.max(page.width, page.height);
  // Small pages (e.g. 100-dpi scans) are enlarged a little: their text is near the detector's
  // smallest size. Never beyond UPSCALE_TARGET on the long side, where large text starts to break up.
  const upscale = Math.max(1, Math.min(options.maxUpscale ?? 1.5, UPSCALE_TARGET / long));
  const full = Math.min(options.maxSide / long, upscale);
  const quick = Math.min(full, (options.quickSide ?? QUICK_SIDE) / long);
  if (quick < 1 && quick < 0.85 * full) {
    const first = await detectAtScale(runner, page, quick, options);
    const small = medianTextHeight(first.boxes) * first.scale < SMALL_TEXT;
    if (first.boxes.length > 0 && !small) return first.boxes;
  }
  return (await detectAtScale(runner, page, full, options)).boxes;
}

/**
 * Merges boxes that overlap on the same text row. DB sometimes breaks one line of large text into
 * two overlapping pieces ("grew by 12" + "2 percent"); read separately they repeat characters.
 */
/**
 * Horizontal overlap, in box heights, above which two boxes on one row are one line. Unclipping
 * widens each box by about 0.3 of its height on both sides, so neighbouring words overlap by up
 * to ~0.6 heights without being duplicates.
 */
const MERGE_OVERLAP = 0.8;

/** The extent of a quad along a unit direction (ux, uy): [min, max] of its corners' projections. */
function extentAlong(q: Quad, ux: number, uy: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < 4; i++) {
    const t = q[2 * i]! * ux + q[2 * i + 1]! * uy;
    lo = Math.min(lo, t);
    hi = Math.max(hi, t);
  }
  return [lo, hi];
}

const overlap = (a: [number, number], b: [number, number]): number =>
  Math.min(a[1], b[1]) - Math.max(a[0], b[0]);

/**
 * Whether `box` repeats part of the line `host` reads. Overlaps are measured along and across the host's
 * text direction, not on axis-aligned bounds: on a page skewed by 3°, a long line's axis-aligned bounds
 * span several neighbouring lines, and comparing those merged whole paragraphs into one garbled line.
 */
function sameLine(host: Quad, box: Quad): boolean {
  const dx = host[2] - host[0];
  const dy = host[3] - host[1];
  const length = Math.hypot(dx, dy);
  if (length === 0) return false;
  const [ux, uy] = [dx / length, dy / length];
  const along = [extentAlong(host, ux, uy), extentAlong(box, ux, uy)] as const;
  const across = [extentAlong(host, -uy, ux), extentAlong(box, -uy, ux)] as const;
  const ah = across[0][1] - across[0][0];
  const bh = across[1][1] - across[1][0];
  const h = Math.min(ah, bh);
  return (
    overlap(...across) >= 0.8 * Math.max(ah, bh) &&
    Math.max(ah, bh) / h <= 1.25 &&
    overlap(...along) > MERGE_OVERLAP * h
  );
}

export function mergeOverlappingBoxes(boxes: readonly DetectedBox[]): DetectedBox[] {
  const out: DetectedBox[] = [];
  const sorted = [...boxes].sort((a, b) => quadBounds(a.quad).minX - quadBounds(b.quad).minX);
  for (const box of sorted) {
    const { width: bw, height: bh } = quadSize(box.quad);
    const host = out.find((o) => {
      const { width: aw, height: ah } = quadSize(o.quad);
      // Only horizontal text rows: tall boxes (sideways pages) are left alone.
      if (ah > aw || bh > bw) return false;
      return sameLine(o.quad, box.quad);
    });
    if (!host) {
      out.push({ ...box });
      continue;
    }
    const pts: Point[] = [];
    for (const q of [host.quad, box.quad]) for (let i = 0; i < 4; i++) pts.push([q[2 * i]!, q[2 * i + 1]!]);
    host.quad = rectToQuad(minAreaRect(pts));
    host.score = Math.max(host.score, box.score);
  }
  return out;
}

/**
 * Turns a DB probability map (values 0..1, `width`×`height`) into scored, unclipped boxes in map pixels.
 * Exported for tests: this is the post-processing without the model.
 */
export function boxesFromProbabilityMap(
  prob: Float32Array,
  width: number,
  height: number,
  options: Omit<DetectOptions, 'maxSide'> = {},
): DetectedBox[] {
  const threshold = options.threshold ?? 0.3;
  const boxThreshold = options.boxThreshold ?? 0.6;
  const unclipRatio = options.unclipRatio ?? 1.6;
  const minSize = 3;
  const n = width * height;
  // label: 0 = background, 1 = text not yet visited, 2 = visited
  const label = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (prob[i]! > threshold) label[i] = 1;

  const boxes: DetectedBox[] = [];
  const stack: number[] = [];
  for (let start = 0; start < n; start++) {
    if (label[start] !== 1) continue;
    // Flood fill one 8-connected region, tracking each row's extent for the hull.
    const rowMin = new Map<number, number>();
    const rowMax = new Map<number, number>();
    let count = 0;
    stack.push(start);
    label[start] = 2;
    while (stack.length > 0) {
      const i = stack.pop()!;
      const x = i % width;
      const y = (i - x) / width;
      count++;
      const lo = rowMin.get(y);
      if (lo === undefined || x < lo) rowMin.set(y, x);
      const hi = rowMax.get(y);
      if (hi === undefined || x > hi) rowMax.set(y, x);
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const j = yy * width + xx;
          if (label[j] === 1) {
            label[j] = 2;
            stack.push(j);
          }
        }
      }
    }
    if (count < 4) continue;
    const pts: Point[] = [];
    for (const [y, lo] of rowMin) {
      const hi = rowMax.get(y)! + 1;
      pts.push([lo, y], [lo, y + 1], [hi, y], [hi, y + 1]);
    }
    const rect = minAreaRect(pts);
    if (Math.min(rect.width, rect.height) < minSize) continue;
    const score = meanInsideQuad(prob, width, height, rectToQuad(rect));
    if (score < boxThreshold) continue;
    const area = rect.width * rect.height;
    const d = (area * unclipRatio) / (2 * (rect.width + rect.height));
    const grown = { ...rect, width: rect.width + 2 * d, height: rect.height + 2 * d };
    if (Math.min(grown.width, grown.height) < minSize + 2) continue;
    const quad = rectToQuad(grown).map((v, i) =>
      Math.max(0, Math.min(i % 2 === 0 ? width : height, v)),
    ) as Quad;
    boxes.push({ quad, score });
  }
  return boxes;
}

/** Mean of the map over the pixels whose centres lie inside a (convex) quad. */
function meanInsideQuad(prob: Float32Array, width: number, height: number, q: Quad): number {
  const b = quadBounds(q);
  const x0 = Math.max(0, Math.floor(b.minX));
  const x1 = Math.min(width - 1, Math.ceil(b.maxX));
  const y0 = Math.max(0, Math.floor(b.minY));
  const y1 = Math.min(height - 1, Math.ceil(b.maxY));
  let sum = 0;
  let count = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (insideConvex(q, x + 0.5, y + 0.5)) {
        sum += prob[y * width + x]!;
        count++;
      }
    }
  }
  return count === 0 ? 0 : sum / count;
}

function insideConvex(q: Quad, px: number, py: number): boolean {
  let sign = 0;
  for (let i = 0; i < 4; i++) {
    const j = (i + 1) % 4;
    const c =
      (q[2 * j]! - q[2 * i]!) * (py - q[2 * i + 1]!) - (q[2 * j + 1]! - q[2 * i + 1]!) * (px - q[2 * i]!);
    if (c !== 0) {
      const s = Math.sign(c);
      if (sign === 0) sign = s;
      else if (s !== sign) return false;
    }
  }
  return true;
}

/** Overlap of two boxes as intersection over the smaller box's area, using axis-aligned bounds. */
export function overlapOfSmaller(a: Quad, b: Quad): number {
  const A = quadBounds(a);
  const B = quadBounds(b);
  const iw = Math.min(A.maxX, B.maxX) - Math.max(A.minX, B.minX);
  const ih = Math.min(A.maxY, B.maxY) - Math.max(A.minY, B.minY);
  if (iw <= 0 || ih <= 0) return 0;
  const smaller = Math.min(quadArea(a), quadArea(b));
  return smaller > 0 ? Math.min(1, (iw * ih) / smaller) : 0;
}
