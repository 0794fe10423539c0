import type { Quad } from '../types.js';
import { minAreaRect, quadBounds, quadSize, rectToQuad, type Point } from './geometry.js';

/**
 * Reading order for recognised boxes on an upright page: fragments of one line are joined, lines are
 * grouped into blocks (paragraphs), and blocks are ordered by recursive XY-cut, so columns are read
 * one after another and a page without columns reads top to bottom. A page scanned a few degrees askew
 * is laid out in its deskewed frame (see `dominantTextAngle`): its lines keep their order, and their
 * quads are returned as found.
 */
export interface LayoutItem {
  text: string;
  quad: Quad;
  confidence: number;
}

export interface LaidOutLine extends LayoutItem {
  block: number;
}

export interface LayoutOptions {
  /** Fragments on one baseline are joined when the gap is below this many line heights. */
  joinGap?: number;
  /** Lines join a block when the vertical gap is below this many line heights. */
  blockGap?: number;
}

interface Box extends LayoutItem {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  /** Text height: the quad's short side, robust to slight skew. */
  h: number;
}

function toBox(item: LayoutItem): Box {
  const b = quadBounds(item.quad);
  return { ...item, ...b, h: Math.max(1, quadSize(item.quad).height) };
}

function verticalOverlap(a: Box, b: Box): number {
  return Math.min(a.maxY, b.maxY) - Math.max(a.minY, b.minY);
}

/** Joins fragments that sit on the same baseline with a small gap into one line. */
export function joinFragments(items: readonly LayoutItem[], joinGap = 1.0): LayoutItem[] {
  const boxes = items.map(toBox).sort((a, b) => a.minX - b.minX);
  const lines: Box[][] = [];
  for (const box of boxes) {
    let target: Box[] | undefined;
    for (const line of lines) {
      const last = line[line.length - 1]!;
      const h = Math.min(last.h, box.h);
      const sameRow = verticalOverlap(last, box) >= 0.6 * h && Math.max(last.h, box.h) / h <= 1.5;
      const gap = box.minX - last.maxX;
      if (sameRow && gap > -0.5 * h && gap <= joinGap * h) {
        target = line;
        break;
      }
    }
    if (target) target.push(box);
    else lines.push([box]);
  }
  return lines.map((parts) => {
    if (parts.length === 1) {
      const { text, quad, confidence } = parts[0]!;
      return { text, quad, confidence };
    }
    const pts: Point[] = [];
    for (const p of parts) for (let i = 0; i < 4; i++) pts.push([p.quad[2 * i]!, p.quad[2 * i + 1]!]);
    const chars = parts.reduce((s, p) => s + Math.max(1, p.text.length), 0);
    return {
      text: parts.map((p) => p.text).join(' '),
      quad: rectToQuad(minAreaRect(pts)),
      confidence: parts.reduce((s, p) => s + p.confidence * Math.max(1, p.text.length), 0) / chars,
    };
  });
}

/** Splits boxes into groups separated by empty bands along one axis; one group when there is no band. */
function cut(boxes: Box[], axis: 'x' | 'y'): Box[][] {
  const lo = axis === 'y' ? (b: Box) => b.minY : (b: Box) => b.minX;
  const hi = axis === 'y' ? (b: Box) => b.maxY : (b: Box) => b.maxX;
  const sorted = [...boxes].sort((a, b) => lo(a) - lo(b));
  const groups: Box[][] = [];
  let reach = -Infinity;
  for (const b of sorted) {
    // Tolerate a sliver of overlap from skewed boxes.
    const slack = axis === 'y' ? 0.2 * b.h : 0;
    if (groups.length === 0 || lo(b) > reach - slack) {
      groups.push([b]);
      reach = hi(b);
    } else {
      groups[groups.length - 1]!.push(b);
      reach = Math.max(reach, hi(b));
    }
  }
  return groups;
}

/**
 * Boxes top to bottom, and left to right within a row: a box whose vertical centre lies inside the current
 * row's extent joins that row. Why not a sort by top edge: cells of one table row differ in their top edges
 * by a pixel or two (more after deskewing), which would read them in an arbitrary order.
 */
function inRows(boxes: readonly Box[]): Box[] {
  const byTop = [...boxes].sort((a, b) => a.minY + a.maxY - (b.minY + b.maxY) || a.minX - b.minX);
  const out: Box[] = [];
  let row: Box[] = [];
  let rowMinY = 0;
  let rowMaxY = 0;
  for (const b of byTop) {
    const centre = (b.minY + b.maxY) / 2;
    if (row.length > 0 && centre >= rowMinY && centre <= rowMaxY) {
      row.push(b);
      continue;
    }
    out.push(...row.sort((p, q) => p.minX - q.minX));
    row = [b];
    rowMinY = b.minY;
    rowMaxY = b.maxY;
  }
  out.push(...row.sort((p, q) => p.minX - q.minX));
  return out;
}

/** Recursive XY-cut: bands top to bottom, then columns left to right, until nothing splits. */
function xyCut(boxes: Box[], out: Box[][], depth = 0): void {
  if (boxes.length <= 1 || depth > 50) {
    out.push(boxes);
    return;
  }
  const bands = cut(boxes, 'y');
  if (bands.length > 1) {
    for (const band of bands) xyCut(band, out, depth + 1);
    return;
  }
  const columns = cut(boxes, 'x');
  if (columns.length > 1) {
    for (const col of columns) xyCut(col, out, depth + 1);
    return;
  }
  out.push(boxes);
}

/** Boxes narrower than this many text heights say little about the text's direction (a lone digit's box). */
const MIN_ANGLE_ASPECT = 2;

/**
 * The page's dominant text direction, radians clockwise from the x-axis (y points down): the median of the
 * boxes' long-edge angles, weighted by their length, over boxes at least MIN_ANGLE_ASPECT heights long.
 * 0 when no box is long enough.
 *
 * Why: on a page skewed by 3°, a 700-px line drops 37 px from end to end, more than a 28-px line pitch, so
 * axis-aligned bounds of neighbouring lines overlap and the XY-cut can no longer find the rows between them.
 */
export function dominantTextAngle(quads: readonly Quad[]): number {
  const angles: { angle: number; weight: number }[] = [];
  for (const q of quads) {
    const { width, height } = quadSize(q);
    if (width < MIN_ANGLE_ASPECT * Math.max(1, height)) continue;
    // Top and bottom edges, left to right; their sum averages the two.
    const dx = q[2] - q[0] + (q[4] - q[6]);
    const dy = q[3] - q[1] + (q[5] - q[7]);
    angles.push({ angle: Math.atan2(dy, dx), weight: width });
  }
  if (angles.length === 0) return 0;
  angles.sort((a, b) => a.angle - b.angle);
  const half = angles.reduce((s, a) => s + a.weight, 0) / 2;
  let seen = 0;
  for (const a of angles) {
    seen += a.weight;
    if (seen >= half) return a.angle;
  }
  return angles[angles.length - 1]!.angle;
}

/** Rotates a quad by `-angle` about the origin, so text running at `angle` runs along the x-axis. */
function rotateQuadBy(q: Quad, angle: number): Quad {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    const x = q[2 * i]!;
    const y = q[2 * i + 1]!;
    out.push(x * cos + y * sin, -x * sin + y * cos);
  }
  return out as Quad;
}

/**
 * Orders lines for reading and numbers their blocks.
 *
 * @example
 *   const lines = layoutLines([{ text: 'Hello', quad, confidence: 0.98 }]);
 *   lines[0].block; // 0
 */
export function layoutLines(items: readonly LayoutItem[], options: LayoutOptions = {}): LaidOutLine[] {
  const angle = dominantTextAngle(items.map((i) => i.quad));
  if (angle === 0) return layoutUpright(items, options);
  // Lay out in the deskewed frame; a line that is one detected box gets its own quad back untouched,
  // a joined line the back-rotation of its deskewed quad.
  const found = new Map<Quad, Quad>();
  const deskewed = items.map((item) => {
    const quad = rotateQuadBy(item.quad, angle);
    found.set(quad, item.quad);
    return { ...item, quad };
  });
  return layoutUpright(deskewed, options).map((l) => ({
    ...l,
    quad: found.get(l.quad) ?? rotateQuadBy(l.quad, -angle),
  }));
}

function layoutUpright(items: readonly LayoutItem[], options: LayoutOptions): LaidOutLine[] {
  const blockGap = options.blockGap ?? 0.8;
  const lines = joinFragments(items, options.joinGap).map(toBox);
  // Group lines into blocks: stacked, overlapping horizontally, similar height, small gap.
  const parent = lines.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const byTop = lines.map((_, i) => i).sort((a, b) => lines[a]!.minY - lines[b]!.minY);
  for (let ai = 0; ai < byTop.length; ai++) {
    const a = lines[byTop[ai]!]!;
    for (let bi = ai + 1; bi < byTop.length; bi++) {
      const b = lines[byTop[bi]!]!;
      const h = Math.min(a.h, b.h);
      const gap = b.minY - a.maxY;
      if (gap > blockGap * Math.max(a.h, b.h)) break;
      const xOverlap = Math.min(a.maxX, b.maxX) - Math.max(a.minX, b.minX);
      if (gap > -0.3 * h && xOverlap > 0 && Math.max(a.h, b.h) / h <= 1.4)
        parent[find(byTop[bi]!)] = find(byTop[ai]!);
    }
  }
  const groups = new Map<number, Box[]>();
  lines.forEach((l, i) => {
    const root = find(i);
    const g = groups.get(root);
    if (g) g.push(l);
    else groups.set(root, [l]);
  });
  // Each block becomes one box for the XY-cut; its lines keep their own order (top to bottom).
  const blocks: Box[] = [];
  const members = new Map<Box, Box[]>();
  for (const g of groups.values()) {
    const b: Box = {
      text: '',
      quad: g[0]!.quad,
      confidence: 0,
      minX: Math.min(...g.map((l) => l.minX)),
      minY: Math.min(...g.map((l) => l.minY)),
      maxX: Math.max(...g.map((l) => l.maxX)),
      maxY: Math.max(...g.map((l) => l.maxY)),
      h: Math.min(...g.map((l) => l.h)),
    };
    blocks.push(b);
    members.set(b, inRows(g));
  }
  const ordered: Box[][] = [];
  xyCut(blocks, ordered);
  const out: LaidOutLine[] = [];
  let block = 0;
  for (const leaf of ordered) {
    for (const b of inRows(leaf)) {
      for (const l of members.get(b)!)
        out.push({ text: l.text, quad: l.quad, confidence: l.confidence, block });
      block++;
    }
  }
  return out;
}
