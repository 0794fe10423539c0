import { describe, expect, it } from 'vitest';
import { citedPassages } from './passage-citations.js';

describe('citedPassages', () => {
  it('reads bracketed numbers, lists and ranges, in order of first mention, each once', () => {
    expect(citedPassages('A [2]. B [1, 3]. C [2-3]. D [1][2].', 3)).toEqual({
      cited: [2, 1, 3],
      invalid: [],
    });
  });

  it('reads the full-width brackets and separators of Chinese answers', () => {
    expect(citedPassages('金额为3550元【2】，日期见［1、3］。', 3)).toEqual({
      cited: [2, 1, 3],
      invalid: [],
    });
  });

  it('cites nothing for an answer without brackets, and never maps an invalid number to a passage', () => {
    expect(citedPassages('The total is 3550 (see page 2).', 3)).toEqual({ cited: [], invalid: [] });
    expect(citedPassages('See [0], [4] and [2].', 3)).toEqual({ cited: [2], invalid: [0, 4] });
  });

  it('does not take other bracketed text for a citation', () => {
    expect(citedPassages('Fill in [name] and [a1].', 3)).toEqual({ cited: [], invalid: [] });
  });
});
