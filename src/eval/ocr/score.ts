/**
 * Pure OCR scoring: compares a page's predicted text with its ground truth. No I/O, no engine.
 *
 * Definitions (all figures are micro-averaged: counts are summed over pages, ratios taken at the end):
 *
 * - Text is Unicode-NFKC-normalised on both sides first, so a full-width "：" or "Ａ" from a Chinese
 *   recogniser counts as the ":" or "A" the GT has (they are the same character in a different form).
 * - Words: the whitespace-separated tokens of the page text. A predicted word matches a GT word when the
 *   strings are equal; each GT word is matched at most once (multiset intersection). precision = matched /
 *   predicted words, recall = matched / GT words, F1 their harmonic mean. `_ci` variants compare lower-cased
 *   tokens. This is the official SROIE task-2 recipe.
 * - Characters (char F1): the multiset of non-whitespace code points of the page; same intersection and ratios
 *   as words. Insensitive to word segmentation and to reading order.
 * - CER: Levenshtein distance (insert, delete, substitute, each cost 1, over code points) between the
 *   non-whitespace characters of the predicted page text and of the GT page text, both in reading order,
 *   divided by the number of GT characters. Whitespace is left out so that word segmentation (already
 *   measured by word F1) is not counted twice; reading order is counted. CER can exceed 1 when the prediction
 *   is longer than the GT.
 * - Box-matched CER (`cer_boxes`, for pages whose GT and prediction both have boxes): edits between GT pieces
 *   and predicted lines matched by box overlap, over the GT characters of those pages; see box-match.ts.
 *   Insensitive to reading order and line grouping, unlike `cer`.
 * - Punctuation-split tokens (`f1_punct_ci`, a diagnostic, not the official recipe): every whitespace token is
 *   cut into runs of letters and digits and single other characters, on both sides, then lower-cased and
 *   matched like words ("12/02/2018" → 12 / 02 / 2018, "TOTAL:" → total :). Why: the datasets disagree on
 *   where a word ends next to punctuation (SROIE writes "12/02/2018" whole and "WORD :" and "WORD:" both;
 *   FUNSD writes "9/ 3/ 92"), and no reading of the pixels can follow both. This figure measures what was read
 *   independently of that convention; the word figures above stay the ones targets are set on.
 * - `char_f1_ci` and `cer_ci` compare lower-cased characters. Why: SROIE's GT is written in capitals whatever
 *   the receipt prints ("Total" is labelled "TOTAL"), so the strict figures there mostly measure case.
 * - Empty sets: a ratio over zero items is 1 when nothing was claimed and nothing was missed (empty prediction
 *   for an empty page scores P = R = F1 = 1, CER = 0); CER over an empty GT with a non-empty prediction is 1.
 */

/** Counts for one page (or a sum over pages); every field is a plain count so pages can be added up. */
export interface OcrCounts {
  pages: number;
  gtWords: number;
  predWords: number;
  matchedWords: number;
  /** Matches after lower-casing both sides. */
  matchedWordsCi: number;
  /** Punctuation-split, lower-cased tokens (see `punctuationTokens`). */
  gtTokens: number;
  predTokens: number;
  matchedTokensCi: number;
  gtChars: number;
  predChars: number;
  matchedChars: number;
  matchedCharsCi: number;
  /** Levenshtein distance between non-whitespace reading-order texts. */
  charEdits: number;
  charEditsCi: number;
  /** Pages scored by box matching, and their GT characters and edits (see box-match.ts). */
  boxPages: number;
  boxGtChars: number;
  boxEdits: number;
  boxEditsCi: number;
}

/** Ratios computed from OcrCounts; keys are the ones `docsight eval ocr --json` prints. */
export interface OcrScores {
  precision: number;
  recall: number;
  f1: number;
  precision_ci: number;
  recall_ci: number;
  f1_ci: number;
  /** F1 over punctuation-split, lower-cased tokens: a diagnostic independent of tokenisation conventions. */
  f1_punct_ci: number;
  char_precision: number;
  char_recall: number;
  char_f1: number;
  char_f1_ci: number;
  cer: number;
  cer_ci: number;
  /** Box-matched CER; null when no page had boxes on both sides. */
  cer_boxes: number | null;
  cer_boxes_ci: number | null;
}

/** NFKC-normalises text so compatibility forms (full-width letters, punctuation) compare equal. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC');
}

/** Whitespace tokens of `text`, after normalisation. */
export function tokenizeWords(text: string): string[] {
  return normalizeText(text)
    .split(/\s+/u)
    .filter((t) => t.length > 0);
}

/**
 * Lower-cased tokens of `text` with punctuation split off: runs of letters, marks and digits, and each
 * other non-whitespace character on its own.
 *
 * @example
 *   punctuationTokens('TOTAL: 12/02/2018'); // ['total', ':', '12', '/', '02', '/', '2018']
 */
export function punctuationTokens(text: string): string[] {
  return (normalizeText(text).match(/[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu) ?? []).map((t) =>
    t.toLowerCase(),
  );
}

/** Non-whitespace code points of `text`, after normalisation, in order. */
export function nonWhitespaceChars(text: string): string[] {
  return Array.from(normalizeText(text).replace(/\s+/gu, ''));
}

/**
 * Size of the multiset intersection of `a` and `b`: each element of `b` is used at most once.
 *
 * @example
 *   multisetIntersectionSize(['a', 'a', 'b'], ['a', 'c']); // 1
 */
export function multisetIntersectionSize(a: readonly string[], b: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const x of b) counts.set(x, (counts.get(x) ?? 0) + 1);
  let matched = 0;
  for (const x of a) {
    const left = counts.get(x) ?? 0;
    if (left > 0) {
      matched++;
      counts.set(x, left - 1);
    }
  }
  return matched;
}

/**
 * Levenshtein distance between two sequences (unit costs). O(n·m) time, O(m) memory: a page of a few thousand
 * characters takes milliseconds.
 *
 * @example
 *   editDistance(Array.from('kitten'), Array.from('sitting')); // 3
 */
export function editDistance(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = new Int32Array(b.length + 1);
  let curr = new Int32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    curr[0] = i;
    const ai = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      const substitute = prev[j - 1]! + (ai === b[j - 1] ? 0 : 1);
      const remove = prev[j]! + 1;
      const insert = curr[j - 1]! + 1;
      curr[j] = Math.min(substitute, remove, insert);
    }
    [prev, curr] = [curr, prev];
  }
  return prev[b.length]!;
}

/**
 * Scores one page. `gtText` and `predText` are whole-page texts in reading order (lines joined by newlines).
 *
 * @example
 *   const counts = countPage('TOTAL 9.00', 'TOTAL 9.0O');
 *   counts.matchedWords; // 1 (of 2)
 */
export function countPage(gtText: string, predText: string): OcrCounts {
  const gtWords = tokenizeWords(gtText);
  const predWords = tokenizeWords(predText);
  const lower = (items: string[]) => items.map((w) => w.toLowerCase());
  const gtTokens = punctuationTokens(gtText);
  const predTokens = punctuationTokens(predText);
  const gtChars = nonWhitespaceChars(gtText);
  const predChars = nonWhitespaceChars(predText);
  // Lower-cased per character, so the sequences keep their lengths ("İ".toLowerCase() has two code points).
  const gtCharsCi = gtChars.map((c) => (c.toLowerCase().length === c.length ? c.toLowerCase() : c));
  const predCharsCi = predChars.map((c) => (c.toLowerCase().length === c.length ? c.toLowerCase() : c));
  return {
    pages: 1,
    gtWords: gtWords.length,
    predWords: predWords.length,
    matchedWords: multisetIntersectionSize(predWords, gtWords),
    matchedWordsCi: multisetIntersectionSize(lower(predWords), lower(gtWords)),
    gtTokens: gtTokens.length,
    predTokens: predTokens.length,
    matchedTokensCi: multisetIntersectionSize(predTokens, gtTokens),
    gtChars: gtChars.length,
    predChars: predChars.length,
    matchedChars: multisetIntersectionSize(predChars, gtChars),
    matchedCharsCi: multisetIntersectionSize(predCharsCi, gtCharsCi),
    charEdits: editDistance(predChars, gtChars),
    charEditsCi: editDistance(predCharsCi, gtCharsCi),
    boxPages: 0,
    boxGtChars: 0,
    boxEdits: 0,
    boxEditsCi: 0,
  };
}

/** Zero counts, the identity for addCounts. */
export function emptyCounts(): OcrCounts {
  return {
    pages: 0,
    gtWords: 0,
    predWords: 0,
    matchedWords: 0,
    matchedWordsCi: 0,
    gtTokens: 0,
    predTokens: 0,
    matchedTokensCi: 0,
    gtChars: 0,
    predChars: 0,
    matchedChars: 0,
    matchedCharsCi: 0,
    charEdits: 0,
    charEditsCi: 0,
    boxPages: 0,
    boxGtChars: 0,
    boxEdits: 0,
    boxEditsCi: 0,
  };
}

/** Field-wise sum of page counts (micro-averaging). */
export function addCounts(...all: OcrCounts[]): OcrCounts {
  const sum = emptyCounts();
  for (const c of all) {
    for (const key of Object.keys(sum) as (keyof OcrCounts)[]) sum[key] += c[key];
  }
  return sum;
}

/** matched / total, with the empty-set convention described at the top of this file. */
function ratio(matched: number, total: number): number {
  return total === 0 ? 1 : matched / total;
}

function harmonicMean(p: number, r: number): number {
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

/**
 * Turns summed counts into precision, recall, F1, char F1 and CER.
 *
 * @example
 *   scoreCounts(addCounts(countPage('a b', 'a b'), countPage('c', 'd'))).f1; // 2/3
 */
export function scoreCounts(c: OcrCounts): OcrScores {
  const precision = ratio(c.matchedWords, c.predWords);
  const recall = ratio(c.matchedWords, c.gtWords);
  const precisionCi = ratio(c.matchedWordsCi, c.predWords);
  const recallCi = ratio(c.matchedWordsCi, c.gtWords);
  const charPrecision = ratio(c.matchedChars, c.predChars);
  const charRecall = ratio(c.matchedChars, c.gtChars);
  const charPrecisionCi = ratio(c.matchedCharsCi, c.predChars);
  const charRecallCi = ratio(c.matchedCharsCi, c.gtChars);
  const rate = (edits: number, chars: number) => (chars === 0 ? (edits === 0 ? 0 : 1) : edits / chars);
  const errorRate = (edits: number) => rate(edits, c.gtChars);
  const boxRate = (edits: number) => (c.boxPages === 0 ? null : rate(edits, c.boxGtChars));
  return {
    precision,
    recall,
    f1: harmonicMean(precision, recall),
    precision_ci: precisionCi,
    recall_ci: recallCi,
    f1_ci: harmonicMean(precisionCi, recallCi),
    f1_punct_ci: harmonicMean(ratio(c.matchedTokensCi, c.predTokens), ratio(c.matchedTokensCi, c.gtTokens)),
    char_precision: charPrecision,
    char_recall: charRecall,
    char_f1: harmonicMean(charPrecision, charRecall),
    char_f1_ci: harmonicMean(charPrecisionCi, charRecallCi),
    cer: errorRate(c.charEdits),
    cer_ci: errorRate(c.charEditsCi),
    cer_boxes: boxRate(c.boxEdits),
    cer_boxes_ci: boxRate(c.boxEditsCi),
  };
}
