import type { Quad } from '../../read/types.js';

/** A piece of text with its box on the page: a GT line (SROIE), a GT word (FUNSD) or a predicted line. */
export interface BoxedText {
  text: string;
  box: Quad;
}

interface Placed {
  text: string;
  left: number;
  top: number;
  bottom: number;
  centre: number;
}

function place(item: BoxedText): Placed {
  const xs = [item.box[0], item.box[2], item.box[4], item.box[6]];
  const ys = [item.box[1], item.box[3], item.box[5], item.box[7]];
  const top = Math.min(...ys);
  const bottom = Math.max(...ys);
  return { text: item.text, left: Math.min(...xs), top, bottom, centre: (top + bottom) / 2 };
}

/**
 * Puts boxed texts into reading order and returns the page's rows, top to bottom, each row's pieces left to
 * right joined by a space. A piece joins the current row when its vertical centre lies inside the row's
 * vertical extent (so words of one printed line, and a receipt's item and its price, share a row).
 *
 * Why: the GT of SROIE lists lines and FUNSD lists words grouped by entity, not in reading order; CER over
 * whole-page text needs both sides in one order, decided by geometry alone, never by the text.
 *
 * @example
 *   pageRows([{ text: 'B', box: [50,0,60,0,60,10,50,10] }, { text: 'A', box: [0,1,10,1,10,11,0,11] }]);
 *   // ['A B']
 */
export function pageRows(items: readonly BoxedText[]): string[] {
  const placed = items.filter((i) => i.text.trim().length > 0).map(place);
  placed.sort((a, b) => a.centre - b.centre || a.left - b.left);
  const rows: Placed[][] = [];
  let current: Placed[] = [];
  let rowTop = 0;
  let rowBottom = 0;
  for (const p of placed) {
    if (current.length > 0 && p.centre >= rowTop && p.centre <= rowBottom) {
      current.push(p);
      continue;
    }
    if (current.length > 0) rows.push(current);
    current = [p];
    rowTop = p.top;
    rowBottom = p.bottom;
  }
  if (current.length > 0) rows.push(current);
  return rows.map((row) =>
    row
      .sort((a, b) => a.left - b.left)
      .map((p) => p.text)
      .join(' '),
  );
}

/** The page's text in reading order: rows joined by newlines. */
export function pageText(items: readonly BoxedText[]): string {
  return pageRows(items).join('\n');
}
