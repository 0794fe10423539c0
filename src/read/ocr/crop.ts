import type { Quad } from '../types.js';
import { quadSize } from './geometry.js';
import type { RgbImage } from './pixels.js';

/**
 * Cuts a text box out of the page as an upright, horizontal strip with a perspective warp, so
 * skewed and rotated lines reach the recogniser straight (axis-aligned crops fail at 3° skew).
 */

/** Boxes at least this much taller than wide hold vertical text; they are turned 90° counter-clockwise. */
export const TALL_RATIO = 1.5;

/** Solves the 3×3 homography (h33 = 1) that maps the four `from` points onto the four `to` points. */
function homography(from: number[], to: number[]): number[] {
  const a: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const x = from[2 * i]!;
    const y = from[2 * i + 1]!;
    const u = to[2 * i]!;
    const v = to[2 * i + 1]!;
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  // Gaussian elimination with partial pivoting on the 8×9 augmented matrix.
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const p = a[col]![col]!;
    if (Math.abs(p) < 1e-12) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / p;
      if (f === 0) continue;
      for (let c = col; c < 9; c++) a[r]![c]! -= f * a[col]![c]!;
    }
  }
  const h = a.map((row, i) => row[8]! / row[i]!);
  return [...h, 1];
}

/**
 * Warps the quad onto a `width`×`height` strip (top edge of the quad → top of the strip).
 * When shrinking, each output pixel averages a small grid of samples so thin strokes are not lost.
 */
export function warpQuad(page: RgbImage, quad: Quad, width: number, height: number): RgbImage {
  const W = Math.max(1, Math.round(width));
  const H = Math.max(1, Math.round(height));
  const m = homography([0, 0, W, 0, W, H, 0, H], [...quad]);
  const { width: qw, height: qh } = quadSize(quad);
  const ss = Math.max(1, Math.min(4, Math.ceil(Math.max(qw / W, qh / H))));
  const out = new Uint8Array(W * H * 3);
  const src = page.data;
  const pw = page.width;
  const ph = page.height;
  const acc = [0, 0, 0];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      acc[0] = acc[1] = acc[2] = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const dx = x + (sx + 0.5) / ss;
          const dy = y + (sy + 0.5) / ss;
          const z = m[6]! * dx + m[7]! * dy + m[8]!;
          // Sample at pixel centres: continuous coordinate u maps to pixel index u - 0.5.
          const u = (m[0]! * dx + m[1]! * dy + m[2]!) / z - 0.5;
          const v = (m[3]! * dx + m[4]! * dy + m[5]!) / z - 0.5;
          const x0 = Math.floor(u);
          const y0 = Math.floor(v);
          const fx = u - x0;
          const fy = v - y0;
          const xa = Math.min(pw - 1, Math.max(0, x0));
          const xb = Math.min(pw - 1, Math.max(0, x0 + 1));
          const ya = Math.min(ph - 1, Math.max(0, y0));
          const yb = Math.min(ph - 1, Math.max(0, y0 + 1));
          const i00 = (ya * pw + xa) * 3;
          const i01 = (ya * pw + xb) * 3;
          const i10 = (yb * pw + xa) * 3;
          const i11 = (yb * pw + xb) * 3;
          for (let c = 0; c < 3; c++) {
            const top = src[i00 + c]! + (src[i01 + c]! - src[i00 + c]!) * fx;
            const bot = src[i10 + c]! + (src[i11 + c]! - src[i10 + c]!) * fx;
            acc[c]! += top + (bot - top) * fy;
          }
        }
      }
      const o = (y * W + x) * 3;
      const k = ss * ss;
      out[o] = Math.round(acc[0]! / k);
      out[o + 1] = Math.round(acc[1]! / k);
      out[o + 2] = Math.round(acc[2]! / k);
    }
  }
  return { data: out, width: W, height: H };
}

/** The quad's corners re-ordered so a tall box's right edge becomes the top (a 90° counter-clockwise turn). */
export function turnQuadCounterClockwise(q: Quad): Quad {
  return [q[2], q[3], q[4], q[5], q[6], q[7], q[0], q[1]];
}

/**
 * Crops a text box to a horizontal strip `targetHeight` pixels high (natural height when omitted).
 * Tall boxes (height/width ≥ 1.5) are turned 90° counter-clockwise first, as PaddleOCR does.
 */
export function cropTextLine(page: RgbImage, quad: Quad, targetHeight?: number): RgbImage {
  let q = quad;
  let { width, height } = quadSize(q);
  if (height / Math.max(width, 1e-6) >= TALL_RATIO) {
    q = turnQuadCounterClockwise(q);
    [width, height] = [height, width];
  }
  const scale = targetHeight === undefined ? 1 : targetHeight / Math.max(height, 1e-6);
  return warpQuad(page, q, Math.max(1, width * scale), targetHeight ?? height);
}
