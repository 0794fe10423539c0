import { describe, expect, it } from 'vitest';
import type { TextLine } from '../types.js';
import { assignBlocks, groupCharsIntoLines, rectToQuad, type PositionedChar } from './text-layout.js';

/** Characters of `text` laid out left to right, 6 wide and 10 tall, starting at (x, y). */
function word(text: string, x: number, y: number): PositionedChar[] {
  return [...text].map((ch, i) => ({ text: ch, box: [x + i * 6, y, x + i * 6 + 6, y + 10] }));
}

describe('groupCharsIntoLines', () => {
  it('joins characters on one baseline and keeps inserted spaces', () => {
    const lines = groupCharsIntoLines([...word('Total', 0, 0), { text: ' ' }, ...word('due', 36, 0)]);
    expect(lines).toEqual([{ text: 'Total due', left: 0, top: 0, right: 54, bottom: 10 }]);
  });

  it('ends a line at a line break and at a drop to the next baseline', () => {
    const lines = groupCharsIntoLines([
      ...word('one', 0, 0),
      { text: '\r' },
      { text: '\n' },
      ...word('two', 0, 14),
      ...word('three', 0, 28), // no break character, but a new baseline
    ]);
    expect(lines.map((l) => l.text)).toEqual(['one', 'two', 'three']);
  });

  it('splits table columns separated by a wide gap, as OCR detection does', () => {
    const lines = groupCharsIntoLines([...word('Item', 0, 0), { text: ' ' }, ...word('9.50', 200, 0)]);
    expect(lines.map((l) => l.text)).toEqual(['Item', '9.50']);
  });

  it('drops lines of whitespace only', () => {
    expect(groupCharsIntoLines([{ text: ' ', box: [0, 0, 3, 10] }, { text: '\n' }])).toEqual([]);
  });
});

describe('assignBlocks', () => {
  const line = (text: string, top: number, left = 0, height = 10): TextLine => ({
    text,
    box: rectToQuad(left, top, left + 100, top + height),
    confidence: 1,
  });

  it('keeps close lines in one paragraph and starts a new one after a gap', () => {
    const blocks = assignBlocks([line('a', 0), line('b', 12), line('c', 60), line('d', 72)]).map(
      (l) => l.block,
    );
    expect(blocks).toEqual([0, 0, 1, 1]);
  });

  it('separates side-by-side columns and headings of another size', () => {
    const blocks = assignBlocks([line('Heading', 0, 0, 24), line('body', 26), line('column', 38, 300)]);
    expect(blocks.map((l) => l.block)).toEqual([0, 1, 2]);
  });

  it('leaves blocks an OCR engine already numbered', () => {
    const lines = [{ ...line('a', 0), block: 3 }];
    expect(assignBlocks(lines)).toBe(lines);
  });
});
