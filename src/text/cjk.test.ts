import { describe, expect, it } from 'vitest';
import { CJK_CHARACTER, CJK_LETTER_CLASS, HAN_IDEOGRAPH, isCjkCharacter, isWideCharacter } from './cjk.js';

const cjkLetter = new RegExp(`^[${CJK_LETTER_CLASS}]$`, 'u');

describe('isCjkCharacter: writing without spaces between words', () => {
  it('holds ideographs, kana, bopomofo, CJK punctuation, units and full-width forms', () => {
    for (const ch of [
      '发',
      '票',
      '々',
      'ひ',
      'カ',
      'ー',
      'ㄅ',
      '。',
      '「',
      '㈱',
      '㎡',
      '：',
      '（',
      '１',
      'ｶ',
    ]) {
      expect(isCjkCharacter(ch), ch).toBe(true);
      expect(CJK_CHARACTER.test(ch), ch).toBe(true);
    }
  });

  it('holds ideographs outside the BMP (a surrogate pair is one character)', () => {
    expect(isCjkCharacter('𠀀')).toBe(true); // U+20000, extension B
    expect(isCjkCharacter('𰀀')).toBe(true); // U+30000, extension G
    expect(CJK_CHARACTER.test('𠀀')).toBe(true);
  });

  it('leaves out Latin, digits, ASCII punctuation and hangul (Korean separates words with spaces)', () => {
    for (const ch of ['A', 'é', '7', ':', '(', '·', '한', '']) {
      expect(isCjkCharacter(ch), ch).toBe(false);
      expect(CJK_CHARACTER.test(ch), ch).toBe(false);
    }
  });
});

describe('the variants, and why they differ', () => {
  it('CJK_LETTER_CLASS (index words) holds ideographs and kana but no punctuation or full-width forms', () => {
    for (const ch of ['发', '々', 'ひ', 'カ']) expect(cjkLetter.test(ch), ch).toBe(true);
    for (const ch of ['。', '：', '１', 'A']) expect(cjkLetter.test(ch), ch).toBe(false);
  });

  it('HAN_IDEOGRAPH (is this Chinese?) holds ideographs only: kana and shared punctuation do not count', () => {
    expect(HAN_IDEOGRAPH.test('总金额是多少?')).toBe(true);
    expect(HAN_IDEOGRAPH.test('𠀀')).toBe(true);
    expect(HAN_IDEOGRAPH.test('カタカナ')).toBe(false);
    expect(HAN_IDEOGRAPH.test('Total：12')).toBe(false);
  });

  it('isWideCharacter (glyph width) holds hangul but not the half-width forms', () => {
    expect(isWideCharacter('한')).toBe(true);
    expect(isCjkCharacter('한')).toBe(false);
    expect(isWideCharacter('ｶ')).toBe(false); // half-width katakana: narrow, yet written without spaces
    expect(isCjkCharacter('ｶ')).toBe(true);
    expect(isWideCharacter('合')).toBe(true);
    expect(isWideCharacter('A')).toBe(false);
  });
});
