import type { Quad, TextLine } from '../types.js';

/**
 * One character of a PDF text layer. The box is in "reading space": the page before any /Rotate, y
 * growing downwards, any unit — lines are found there, so a page stored sideways groups like an upright one.
 */
export interface PositionedChar {
  text: string;
  /** Left, top, right, bottom; absent for characters PDFium inserted (spaces, line breaks). */
  box?: [number, number, number, number];
}

/** A line of text and its rectangle, in the same space as the characters it came from. */
export interface LineRect {
  text: string;
  left: number;
  top: number;
  right: number;
  bottom: number;
}

interface LineDraft {
  text: string;
  left: number;
  top: number;
  right: number;
  bottom: number;
  /** Right edge and height of the last visible character, to judge where the next one belongs. */
  lastRight: number;
  charHeight: number;
  pendingSpace: boolean;
}

/** Axis-aligned rectangle as a quad, clockwise from top-left. */
export function rectToQuad(left: number, top: number, right: number, bottom: number): Quad {
  return [left, top, right, top, right, bottom, left, bottom];
}

/**
 * Groups characters (in the text layer's content order) into lines with their rectangles.
 * A line ends at a line break, at a character that does not sit on the line's baseline band, at a
 * jump back to the left, or at a gap wider than three character heights — the last so that table
 * columns become separate lines, as OCR detection makes them, and both sources look alike downstream.
 *
 * @example
 *   groupCharsIntoLines([{ text: 'H', box: [0, 0, 8, 10] }, { text: 'i', box: [8, 0, 11, 10] }]);
 *   // [{ text: 'Hi', left: 0, top: 0, right: 11, bottom: 10 }]
 */
export function groupCharsIntoLines(chars: PositionedChar[]): LineRect[] {
  const lines: LineRect[] = [];
  let draft: LineDraft | undefined;
  const finish = (): void => {
    if (draft && draft.text.trim() !== '') {
      const { left, top, right, bottom } = draft;
      lines.push({ text: draft.text.trim(), left, top, right, bottom });
    }
    draft = undefined;
  };

  for (const ch of chars) {
    if (ch.text === '\n' || ch.text === '\r') {
      finish();
      continue;
    }
    if (!ch.box || /^\s$/u.test(ch.text)) {
      if (draft && /^\s$/u.test(ch.text)) draft.pendingSpace = true;
      continue;
    }
    const [left, top, right, bottom] = ch.box;
    const height = Math.max(bottom - top, 1e-6);
    if (draft) {
      const overlap = Math.min(bottom, draft.bottom) - Math.max(top, draft.top);
      const sameBand = overlap >= 0.5 * Math.min(height, draft.charHeight);
      const unit = Math.max(height, draft.charHeight);
      const backwards = left < draft.lastRight - unit;
      const farGap = left - draft.lastRight > 3 * unit;
      if (!sameBand || backwards || farGap) finish();
    }
    if (!draft) {
      draft = {
        text: '',
        left,
        top,
        right,
        bottom,
        lastRight: right,
        charHeight: height,
        pendingSpace: false,
      };
    } else if (draft.pendingSpace) {
      draft.text += ' ';
    }
    draft.text += ch.text;
    draft.left = Math.min(draft.left, left);
    draft.top = Math.min(draft.top, top);
    draft.right = Math.max(draft.right, right);
    draft.bottom = Math.max(draft.bottom, bottom);
    draft.lastRight = right;
    draft.charHeight = height;
    draft.pendingSpace = false;
  }
  finish();
  return lines;
}

/** The axis-aligned bounds of a (possibly rotated) quad. */
function bounds(box: Quad): Omit<LineRect, 'text'> {
  const xs = [box[0], box[2], box[4], box[6]];
  const ys = [box[1], box[3], box[5], box[7]];
  return { left: Math.min(...xs), top: Math.min(...ys), right: Math.max(...xs), bottom: Math.max(...ys) };
}

/**
 * Paragraph (block) numbers for line rectangles already in reading order: a line continues the
 * previous block when it starts just below it (gap under ~one line height), overlaps it horizontally
 * and has a similar height.
 */
export function blockNumbers(rects: Omit<LineRect, 'text'>[]): number[] {
  let block = 0;
  return rects.map((b, i) => {
    const previous = rects[i - 1];
    if (previous) {
      const height = b.bottom - b.top;
      const prevHeight = previous.bottom - previous.top;
      const gap = b.top - previous.bottom;
      const overlaps = Math.min(b.right, previous.right) > Math.max(b.left, previous.left);
      const similar = Math.max(height, prevHeight) <= 1.5 * Math.min(height, prevHeight);
      const continues = gap > -0.5 * prevHeight && gap < 0.9 * prevHeight && overlaps && similar;
      if (!continues) block++;
    }
    return block;
  });
}

/**
 * Numbers the blocks of lines (e.g. from OCR) from their boxes, unless every line already has one.
 *
 * @example
 *   assignBlocks(ocrLines).map((line) => line.block); // [0, 0, 1]
 */
export function assignBlocks(lines: TextLine[]): TextLine[] {
  if (lines.every((line) => line.block !== undefined)) return lines;
  const numbers = blockNumbers(lines.map((line) => bounds(line.box)));
  return lines.map((line, i) => ({ ...line, block: numbers[i]! }));
}
