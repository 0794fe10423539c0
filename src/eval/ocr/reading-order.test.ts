import { describe, expect, it } from 'vitest';
import type { Quad } from '../../read/types.js';
import { pageRows, pageText } from './reading-order.js';

const rect = (x0: number, y0: number, x1: number, y1: number): Quad => [x0, y0, x1, y0, x1, y1, x0, y1];

describe('pageRows', () => {
  it('orders rows top to bottom and pieces left to right, whatever the input order', () => {
    const items = [
      { text: '9.00', box: rect(300, 102, 340, 120) },
      { text: 'TOTAL', box: rect(10, 100, 80, 118) },
      { text: 'SHOP', box: rect(100, 10, 200, 30) },
      { text: 'THANK YOU', box: rect(50, 200, 250, 220) },
    ];
    expect(pageRows(items)).toEqual(['SHOP', 'TOTAL 9.00', 'THANK YOU']);
    expect(pageText(items)).toBe('SHOP\nTOTAL 9.00\nTHANK YOU');
  });

  it('keeps lines apart when their boxes only touch', () => {
    const items = [
      { text: 'second', box: rect(0, 20, 50, 40) },
      { text: 'first', box: rect(0, 0, 50, 20) },
    ];
    expect(pageRows(items)).toEqual(['first', 'second']);
  });

  it('skips empty texts (FUNSD checkboxes) and returns nothing for an empty page', () => {
    expect(pageRows([{ text: ' ', box: rect(0, 0, 5, 5) }])).toEqual([]);
    expect(pageRows([])).toEqual([]);
  });
});
