import { describe, expect, it } from 'vitest';
import {
  addCounts,
  countPage,
  editDistance,
  emptyCounts,
  multisetIntersectionSize,
  nonWhitespaceChars,
  punctuationTokens,
  scoreCounts,
  tokenizeWords,
} from './score.js';

describe('multisetIntersectionSize', () => {
  it('matches each ground-truth item at most once', () => {
    expect(multisetIntersectionSize(['a', 'a', 'a'], ['a'])).toBe(1);
    expect(multisetIntersectionSize(['a'], ['a', 'a', 'a'])).toBe(1);
    expect(multisetIntersectionSize(['a', 'b', 'a'], ['a', 'a', 'c'])).toBe(2);
  });

  it('is zero when either side is empty', () => {
    expect(multisetIntersectionSize([], ['a'])).toBe(0);
    expect(multisetIntersectionSize(['a'], [])).toBe(0);
  });
});

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance(Array.from('kitten'), Array.from('sitting'))).toBe(3);
    expect(editDistance(Array.from('abc'), Array.from('abc'))).toBe(0);
    expect(editDistance([], Array.from('abc'))).toBe(3);
    expect(editDistance(Array.from('abc'), [])).toBe(3);
  });

  it('works on code points, so a Chinese character is one edit', () => {
    expect(editDistance(Array.from('合同条款'), Array.from('合司条款'))).toBe(1);
  });
});

describe('tokenizeWords and nonWhitespaceChars', () => {
  it('split on any whitespace and drop empty tokens', () => {
    expect(tokenizeWords('  TOTAL\t9.00\nRM  ')).toEqual(['TOTAL', '9.00', 'RM']);
    expect(tokenizeWords('')).toEqual([]);
  });

  it('fold full-width forms to their ordinary characters (NFKC)', () => {
    expect(tokenizeWords('ＦＡＸ：07')).toEqual(['FAX:07']);
    expect(nonWhitespaceChars('日期： 2024')).toEqual(['日', '期', ':', '2', '0', '2', '4']);
  });
});

describe('countPage and scoreCounts', () => {
  it('scores a perfect page as 1 and CER 0', () => {
    const s = scoreCounts(countPage('TOTAL 9.00\nCASH', 'TOTAL 9.00 CASH'));
    expect(s).toMatchObject({ precision: 1, recall: 1, f1: 1, char_f1: 1, cer: 0 });
  });

  it('counts a duplicated predicted word once (hand-computed)', () => {
    // GT words {A, B, C}; predicted {A, A, B}: 2 matches, P = 2/3, R = 2/3.
    const c = countPage('A B C', 'A A B');
    expect(c).toMatchObject({ gtWords: 3, predWords: 3, matchedWords: 2 });
    const s = scoreCounts(c);
    expect(s.precision).toBeCloseTo(2 / 3, 12);
    expect(s.recall).toBeCloseTo(2 / 3, 12);
    expect(s.f1).toBeCloseTo(2 / 3, 12);
    // Characters: GT {A,B,C}, pred {A,A,B} → 2 matched; edit distance AAB→ABC = 2.
    expect(c).toMatchObject({ gtChars: 3, predChars: 3, matchedChars: 2, charEdits: 2 });
    expect(s.cer).toBeCloseTo(2 / 3, 12);
  });

  it('is case-sensitive, with a case-insensitive variant', () => {
    const s = scoreCounts(countPage('Total Cash', 'TOTAL Cash'));
    expect(s.precision).toBe(0.5);
    expect(s.f1).toBe(0.5);
    expect(s.f1_ci).toBe(1);
    // Characters: T,o,t,a,l vs T,O,T,A,L share only "T" strictly, all five ignoring case.
    const chars = scoreCounts(countPage('Total', 'TOTAL'));
    expect(chars.char_f1).toBeCloseTo(1 / 5, 12);
    expect(chars.cer).toBeCloseTo(4 / 5, 12);
    expect(chars.char_f1_ci).toBe(1);
    expect(chars.cer_ci).toBe(0);
  });

  it('splits punctuation off for the diagnostic token F1, so tokenisation conventions do not count', () => {
    expect(punctuationTokens('TOTAL: 12/02/2018')).toEqual(['total', ':', '12', '/', '02', '/', '2018']);
    // FUNSD writes "9/ 3/ 92" where the page shows "9/3/92": no word matches, every token does.
    const s = scoreCounts(countPage('Date: 9/ 3/ 92', 'DATE : 9/3/92'));
    expect(s.f1_ci).toBe(0); // GT words {date:, 9/, 3/, 92} against {date, :, 9/3/92}
    expect(s.f1_punct_ci).toBe(1);
    // A wrong letter still costs its token.
    expect(scoreCounts(countPage('TOTAL: 9.00', 'T0TAL: 9.00')).f1_punct_ci).toBeCloseTo(4 / 5, 12);
  });

  it('counts merged words as wrong words but right characters', () => {
    // The recogniser dropped a space: no word matches, every character does.
    const s = scoreCounts(countPage('User Manual', 'UserManual'));
    expect(s.f1).toBe(0);
    expect(s.char_f1).toBe(1);
    expect(s.cer).toBe(0);
  });

  it('handles empty predictions and empty pages', () => {
    const missed = scoreCounts(countPage('A B', ''));
    expect(missed).toMatchObject({ precision: 1, recall: 0, f1: 0, char_f1: 0, cer: 1 });
    const bothEmpty = scoreCounts(countPage('', '   '));
    expect(bothEmpty).toMatchObject({ precision: 1, recall: 1, f1: 1, cer: 0 });
    const spurious = scoreCounts(countPage('', 'X'));
    expect(spurious).toMatchObject({ precision: 0, recall: 1, f1: 0, cer: 1 });
  });

  it('micro-averages over pages: a long page weighs more than a short one', () => {
    const long = countPage('a b c d e f g h', 'a b c d e f g h'); // 8/8
    const short = countPage('x y', 'p q'); // 0/2
    const s = scoreCounts(addCounts(long, short));
    expect(s.precision).toBe(0.8);
    expect(s.recall).toBe(0.8);
    expect(addCounts(long, short).pages).toBe(2);
    expect(addCounts()).toEqual(emptyCounts());
  });

  it('lets CER exceed 1 when the prediction is much longer than the GT', () => {
    expect(scoreCounts(countPage('ab', 'abcdef')).cer).toBe(2);
  });
});
