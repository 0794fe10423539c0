/**
 * Which characters are Chinese, Japanese (or Korean): the one definition every module tests against.
 *
 * The main set, `isCjkCharacter`, is "writing without spaces between words": ideographs, kana, bopomofo,
 * CJK punctuation and symbols, and full-width forms. OCR decides spaces with it, the CLI joins lines with
 * it. Three named variants exist because their callers need a different set on purpose; each says why.
 * All are code-point sets, so a surrogate pair (an ideograph outside the BMP) counts as one character.
 */

type Range = readonly [first: number, last: number];

/** "Writing without spaces between words" (see isCjkCharacter). */
const CJK_RANGES: readonly Range[] = [
  // Radicals, ideographic description, CJK symbols and punctuation (、。「」), hiragana, katakana, bopomofo,
  // compatibility jamo, kanbun, strokes, enclosed letters (㈱), compatibility units (㎡ ㎏), ideographs
  // (extension A, unified).
  [0x2e80, 0x9fff],
  [0xf900, 0xfaff], // compatibility ideographs
  [0xfe30, 0xfe4f], // compatibility forms (vertical punctuation)
  [0xff00, 0xffef], // half-width and full-width forms (：（）１ ｶ)
  [0x20000, 0x323af], // ideographs, extensions B to H
];
// Hangul syllables (U+AC00–D7AF) are left out: Korean puts spaces between words.

/**
 * Drawn one em wide (East Asian Wide and Fullwidth): the set the Chinese evaluation pages are laid out
 * with. Unlike CJK_RANGES it holds hangul syllables (wide glyphs, whatever the spacing) and leaves out
 * the half-width forms (U+FF61–FFDF: half-width kana are narrow) and supplementary planes.
 */
const WIDE_RANGES: readonly Range[] = [
  [0x2e80, 0x9fff],
  [0xac00, 0xd7af], // hangul syllables
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60], // full-width forms
  [0xffe0, 0xffe6], // full-width signs (￥ ￡)
];

function inRanges(ranges: readonly Range[], ch: string): boolean {
  const c = ch.codePointAt(0);
  if (c === undefined) return false;
  for (const [first, last] of ranges) if (c >= first && c <= last) return true;
  return false;
}

/** The body of a regular-expression character class (for the `u` flag) holding `ranges`. */
function characterClass(ranges: readonly Range[]): string {
  const hex = (c: number) => `\\u{${c.toString(16)}}`;
  return ranges.map(([first, last]) => `${hex(first)}-${hex(last)}`).join('');
}

/**
 * Whether `ch` (its first code point) belongs to writing without spaces between words: Chinese and
 * Japanese ideographs, kana, bopomofo, CJK punctuation and symbols, full-width forms.
 *
 * @example
 *   isCjkCharacter('发'); // true
 *   isCjkCharacter('：'); // true (full-width colon)
 *   isCjkCharacter('한'); // false (Korean separates words with spaces)
 */
export function isCjkCharacter(ch: string): boolean {
  return inRanges(CJK_RANGES, ch);
}

/** Character-class body (use with the `u` flag) of isCjkCharacter's set, to build larger patterns. */
export const CJK_CHARACTER_CLASS = characterClass(CJK_RANGES);

/**
 * Matches one character of isCjkCharacter's set.
 *
 * @example
 *   CJK_CHARACTER.test('合同 No. 17'); // true
 */
export const CJK_CHARACTER = new RegExp(`[${CJK_CHARACTER_CLASS}]`, 'u');

/**
 * Character-class body (use with the `u` flag) of the CJK letters that the search index cuts into words
 * (jieba): Han, hiragana and katakana by Unicode script. A variant on purpose: punctuation and
 * full-width forms are not words to index (NFKC folds full-width letters and digits to ASCII first),
 * and changing this set changes the index terms (bump SEARCH_TERMS_VERSION).
 *
 * @example
 *   new RegExp(`[${CJK_LETTER_CLASS}]+`, 'gu');
 */
export const CJK_LETTER_CLASS = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}';

/**
 * Matches one Han ideograph. A variant on purpose: it tells Chinese text from other text, so kana
 * (Japanese) and shared punctuation (a full-width colon in an English sentence) do not count.
 *
 * @example
 *   HAN_IDEOGRAPH.test('总金额是多少?'); // true
 *   HAN_IDEOGRAPH.test('カタカナ'); // false
 */
export const HAN_IDEOGRAPH = /\p{Script=Han}/u;

/**
 * Whether `ch` is drawn one em wide (see WIDE_RANGES): how the Chinese evaluation pages measure and
 * wrap text.
 *
 * @example
 *   isWideCharacter('合'); // true
 *   isWideCharacter('A'); // false
 */
export function isWideCharacter(ch: string): boolean {
  return inRanges(WIDE_RANGES, ch);
}
