import type { Quad } from '../types.js';

/**
 * Plane geometry for text boxes: convex hull, minimum-area rotated rectangle, quad helpers.
 * Coordinates are image pixels, y pointing down; quads run clockwise from the top-left corner.
 */
export type Point = [number, number];

/** A rotated rectangle: centre, size along its own axes, and its x-axis direction (unit vector). */
export interface RotatedRect {
  cx: number;
  cy: number;
  width: number;
  height: number;
  /** Unit vector of the rectangle's width axis, pointing right (ux > 0, or ux = 0 and uy > 0). */
  ux: number;
  uy: number;
}

function cross(o: Point, a: Point, b: Point): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/** Convex hull by Andrew's monotone chain; returns the hull without repeating the first point. */
export function convexHull(points: Point[]): Point[] {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length <= 2) return pts;
  const lower: Point[] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0)
      lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0)
      upper.pop();
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

/**
 * The rectangle of least area that holds all points (rotating calipers over the hull's edges).
 * The width axis is the one nearer to horizontal, so a text line's width runs along its text.
 */
export function minAreaRect(points: Point[]): RotatedRect {
  const hull = convexHull(points);
  let best: RotatedRect = { cx: 0, cy: 0, width: 0, height: 0, ux: 1, uy: 0 };
  let bestArea = Infinity;
  const n = hull.length;
  for (let i = 0; i < Math.max(n, 1); i++) {
    const a = hull[i] ?? [0, 0];
    const b = hull[(i + 1) % Math.max(n, 1)] ?? [1, 0];
    let ex = b[0] - a[0];
    let ey = b[1] - a[1];
    const len = Math.hypot(ex, ey);
    if (len === 0) {
      ex = 1;
      ey = 0;
    } else {
      ex /= len;
      ey /= len;
    }
    let minU = Infinity;
    let maxU = -Infinity;
    let minV = Infinity;
    let maxV = -Infinity;
    for (const p of hull) {
      const u = p[0] * ex + p[1] * ey;
      const v = -p[0] * ey + p[1] * ex;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea) {
      bestArea = area;
      const cu = (minU + maxU) / 2;
      const cv = (minV + maxV) / 2;
      best = {
        cx: cu * ex - cv * ey,
        cy: cu * ey + cv * ex,
        width: maxU - minU,
        height: maxV - minV,
        ux: ex,
        uy: ey,
      };
    }
  }
  return orientRect(best);
}

/** Turns a rectangle so its width axis is within 45° of horizontal and points right. */
export function orientRect(r: RotatedRect): RotatedRect {
  let { ux, uy, width, height } = r;
  if (Math.abs(uy) > Math.abs(ux)) {
    // Swap axes: the new width axis is the old height axis (perpendicular).
    [ux, uy] = [-uy, ux];
    [width, height] = [height, width];
  }
  if (ux < 0 || (ux === 0 && uy < 0)) {
    ux = -ux;
    uy = -uy;
  }
  return { cx: r.cx, cy: r.cy, width, height, ux, uy };
}

/** Corners of a rotated rectangle, clockwise from top-left. */
export function rectToQuad(r: RotatedRect): Quad {
  const vx = -r.uy;
  const vy = r.ux;
  const hw = r.width / 2;
  const hh = r.height / 2;
  const x0 = r.cx - hw * r.ux - hh * vx;
  const y0 = r.cy - hw * r.uy - hh * vy;
  return [
    x0,
    y0,
    x0 + r.width * r.ux,
    y0 + r.width * r.uy,
    x0 + r.width * r.ux + r.height * vx,
    y0 + r.width * r.uy + r.height * vy,
    x0 + r.height * vx,
    y0 + r.height * vy,
  ];
}

/** Width (top edge) and height (left edge) of a quad. */
export function quadSize(q: Quad): { width: number; height: number } {
  const w = Math.max(Math.hypot(q[2] - q[0], q[3] - q[1]), Math.hypot(q[4] - q[6], q[5] - q[7]));
  const h = Math.max(Math.hypot(q[6] - q[0], q[7] - q[1]), Math.hypot(q[4] - q[2], q[5] - q[3]));
  return { width: w, height: h };
}

/** Axis-aligned bounds of a quad. */
export function quadBounds(q: Quad): { minX: number; minY: number; maxX: number; maxY: number } {
  return {
    minX: Math.min(q[0], q[2], q[4], q[6]),
    minY: Math.min(q[1], q[3], q[5], q[7]),
    maxX: Math.max(q[0], q[2], q[4], q[6]),
    maxY: Math.max(q[1], q[3], q[5], q[7]),
  };
}

/** Area of a polygon given as a quad (shoelace). */
export function quadArea(q: Quad): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    const j = (i + 1) % 4;
    s += q[2 * i]! * q[2 * j + 1]! - q[2 * j]! * q[2 * i + 1]!;
  }
  return Math.abs(s) / 2;
}
