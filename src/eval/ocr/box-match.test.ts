import { describe, expect, it } from 'vitest';
import type { Quad } from '../../read/types.js';
import { boxMatchedEdits } from './box-match.js';

const rect = (x0: number, y0: number, x1: number, y1: number): Quad => [x0, y0, x1, y0, x1, y1, x0, y1];

describe('boxMatchedEdits', () => {
  it('compares GT words with the predicted line that covers them', () => {
    const gt = [
      { text: 'TOTAL', box: rect(0, 0, 50, 10) },
      { text: '9.00', box: rect(100, 0, 140, 10) },
    ];
    expect(boxMatchedEdits(gt, [{ text: 'T0TAL 9.00', box: rect(0, 0, 140, 10) }])).toEqual({
      gtChars: 9,
      edits: 1,
      editsCi: 1,
    });
  });

  it('ignores the order lines come in, unlike page-level CER', () => {
    const gt = [
      { text: 'FIRST', box: rect(0, 0, 50, 10) },
      { text: 'SECOND', box: rect(0, 20, 60, 30) },
    ];
    const predicted = [
      { text: 'SECOND', box: rect(0, 20, 60, 30) },
      { text: 'FIRST', box: rect(0, 0, 50, 10) },
    ];
    expect(boxMatchedEdits(gt, predicted).edits).toBe(0);
  });

  it('compares a GT line the engine split in two as a whole', () => {
    const gt = [{ text: 'CASH 10.00', box: rect(0, 0, 200, 10) }];
    const predicted = [
      { text: 'CASH', box: rect(0, 0, 40, 10) },
      { text: '10.00', box: rect(150, 0, 200, 10) },
    ];
    expect(boxMatchedEdits(gt, predicted)).toEqual({ gtChars: 9, edits: 0, editsCi: 0 });
  });

  it('counts unmatched GT as deleted and unmatched predictions as inserted', () => {
    const gt = [{ text: 'MISSED', box: rect(0, 0, 60, 10) }];
    const predicted = [{ text: 'GHOST', box: rect(0, 100, 50, 110) }];
    expect(boxMatchedEdits(gt, predicted)).toEqual({ gtChars: 6, edits: 11, editsCi: 11 });
  });

  it('does not link lines that only touch', () => {
    const gt = [{ text: 'AB', box: rect(0, 0, 20, 10) }];
    const predicted = [{ text: 'AB', box: rect(0, 8, 20, 18) }]; // 20 % overlap
    expect(boxMatchedEdits(gt, predicted).edits).toBe(4);
  });

  it('has a case-insensitive count', () => {
    const gt = [{ text: 'TOTAL', box: rect(0, 0, 50, 10) }];
    expect(boxMatchedEdits(gt, [{ text: 'Total', box: rect(0, 0, 50, 10) }])).toEqual({
      gtChars: 5,
      edits: 4,
      editsCi: 0,
    });
  });

  it('scores an empty page as nothing to do', () => {
    expect(boxMatchedEdits([], [])).toEqual({ gtChars: 0, edits: 0, editsCi: 0 });
  });
});
