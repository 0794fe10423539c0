import { describe, expect, it } from 'vitest';
import type { Quad } from '../types.js';
import { joinFragments, layoutLines, type LayoutItem } from './layout.js';

/** An axis-aligned item; text height `h`. */
const item = (text: string, x: number, y: number, w: number, h = 20): LayoutItem => ({
  text,
  quad: [x, y, x + w, y, x + w, y + h, x, y + h] as Quad,
  confidence: 0.9,
});

describe('joinFragments', () => {
  it('joins pieces of one line that sit close on the same baseline, left to right', () => {
    const out = joinFragments([item('world', 130, 101, 60), item('Hello', 50, 100, 70)]);
    expect(out.map((l) => l.text)).toEqual(['Hello world']);
    expect(out[0]!.quad[0]).toBeCloseTo(50, 0);
  });

  it('keeps pieces apart when the gap is wide (a form field and its far-away value)', () => {
    expect(joinFragments([item('Name:', 50, 100, 60), item('Smith', 400, 100, 60)])).toHaveLength(2);
  });
});

describe('layoutLines', () => {
  it('reads two columns one after the other, each top to bottom', () => {
    const items = [
      item('Title across the page', 50, 20, 500),
      item('right 1', 320, 100, 200),
      item('left 1', 50, 100, 200),
      item('left 2', 50, 125, 200),
      item('right 2', 320, 125, 200),
      item('left 3', 50, 150, 200),
    ];
    const out = layoutLines(items);
    expect(out.map((l) => l.text)).toEqual([
      'Title across the page',
      'left 1',
      'left 2',
      'left 3',
      'right 1',
      'right 2',
    ]);
    // Three blocks: the title, the left column, the right column.
    expect(out.map((l) => l.block)).toEqual([0, 1, 1, 1, 2, 2]);
  });

  it('starts a new block after a paragraph gap', () => {
    const out = layoutLines([
      item('para one a', 50, 100, 300),
      item('para one b', 50, 124, 300),
      item('para two', 50, 220, 300),
    ]);
    expect(out.map((l) => l.block)).toEqual([0, 0, 1]);
  });

  it('returns nothing for nothing', () => {
    expect(layoutLines([])).toEqual([]);
  });
});
