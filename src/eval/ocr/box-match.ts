import { type BoxedText, pageText } from './reading-order.js';
import { editDistance, nonWhitespaceChars } from './score.js';

interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

function rectOf(item: BoxedText): Rect {
  const xs = [item.box[0], item.box[2], item.box[4], item.box[6]];
  const ys = [item.box[1], item.box[3], item.box[5], item.box[7]];
  return { left: Math.min(...xs), top: Math.min(...ys), right: Math.max(...xs), bottom: Math.max(...ys) };
}

const area = (r: Rect) => Math.max(0, r.right - r.left) * Math.max(0, r.bottom - r.top);

function intersection(a: Rect, b: Rect): number {
  return area({
    left: Math.max(a.left, b.left),
    top: Math.max(a.top, b.top),
    right: Math.min(a.right, b.right),
    bottom: Math.min(a.bottom, b.bottom),
  });
}

/** Edit counts of the box-matched comparison of one page. */
export interface BoxMatchCounts {
  /** Non-whitespace GT characters. */
  gtChars: number;
  /** Edits: within matched groups, plus every character of GT and predicted text that matched nothing. */
  edits: number;
  /** The same, comparing lower-cased characters. */
  editsCi: number;
}

const lowerChars = (chars: string[]) =>
  chars.map((c) => (c.toLowerCase().length === c.length ? c.toLowerCase() : c));

/**
 * Character edits between predicted lines and GT pieces (lines or words) matched by their boxes, so that
 * reading order and line grouping do not count, only what was read where.
 *
 * A GT piece and a predicted line are linked when their bounding rectangles overlap by at least half of the
 * smaller one; linked pieces form groups (so a GT line the engine split in two, or GT words the engine read as
 * one line, are compared as a whole). In each group both sides are put in reading order and compared by
 * Levenshtein distance over non-whitespace characters. GT pieces in no group count as deleted, predicted lines
 * in no group as inserted. This is the "CER per GT line after matching predicted lines to GT boxes" of the
 * SROIE and FUNSD manifests, with overlap instead of IoU so that word-level GT (FUNSD) can match a line.
 *
 * @example
 *   boxMatchedEdits(
 *     [{ text: 'TOTAL', box: [0,0,50,0,50,10,0,10] }, { text: '9.00', box: [100,0,140,0,140,10,100,10] }],
 *     [{ text: 'T0TAL 9.00', box: [0,0,140,0,140,10,0,10] }],
 *   ); // { gtChars: 9, edits: 1, editsCi: 1 }
 */
export function boxMatchedEdits(gt: readonly BoxedText[], predicted: readonly BoxedText[]): BoxMatchCounts {
  const gtItems = gt.filter((g) => g.text.trim() !== '');
  const predItems = predicted.filter((p) => p.text.trim() !== '');
  const gtRects = gtItems.map(rectOf);
  const predRects = predItems.map(rectOf);
  // Union-find over GT (0..n-1) and predicted (n..n+m-1) items.
  const parent = Array.from({ length: gtItems.length + predItems.length }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const linked = new Set<number>();
  gtRects.forEach((g, i) => {
    predRects.forEach((p, j) => {
      const smaller = Math.min(area(g), area(p));
      if (smaller > 0 && intersection(g, p) >= 0.5 * smaller) {
        parent[find(i)] = find(gtItems.length + j);
        linked.add(i).add(gtItems.length + j);
      }
    });
  });
  const groups = new Map<number, { gt: BoxedText[]; pred: BoxedText[] }>();
  let edits = 0;
  let editsCi = 0;
  let gtChars = 0;
  gtItems.forEach((g, i) => {
    const chars = nonWhitespaceChars(g.text).length;
    gtChars += chars;
    if (!linked.has(i)) {
      edits += chars;
      editsCi += chars;
      return;
    }
    const root = find(i);
    const group = groups.get(root) ?? { gt: [], pred: [] };
    group.gt.push(g);
    groups.set(root, group);
  });
  predItems.forEach((p, j) => {
    const index = gtItems.length + j;
    if (!linked.has(index)) {
      const chars = nonWhitespaceChars(p.text).length;
      edits += chars;
      editsCi += chars;
      return;
    }
    groups.get(find(index))!.pred.push(p);
  });
  for (const group of groups.values()) {
    const pred = nonWhitespaceChars(pageText(group.pred));
    const truth = nonWhitespaceChars(pageText(group.gt));
    edits += editDistance(pred, truth);
    editsCi += editDistance(lowerChars(pred), lowerChars(truth));
  }
  return { gtChars, edits, editsCi };
}
