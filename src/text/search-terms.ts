import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { stemmer } from 'stemmer';
import { CJK_LETTER_CLASS } from './cjk.js';

/**
 * Turns text into the terms the full-text index stores, and queries into the same terms.
 *
 * SQLite's FTS5 tokenizers know nothing about Chinese words or English stems, and better-sqlite3
 * cannot register a JavaScript tokenizer, so we tokenize here and hand FTS5 space-separated terms.
 * The same function runs on documents and on queries, which is what makes them meet:
 * - Chinese (Han, kana) runs are cut by jieba in search mode, which emits both the long word and its
 *   parts ("增值税专用发票" → 增值 增值税 专用 发票 专用发票), so "发票" and "增值税发票" both find it.
 * - Words in other scripts are case-folded and Porter-stemmed ("Receipts" → "receipt").
 * - Numbers keep their inner separators ("112.45", "2018-02-12", "12/02/2018", "1,234.50"),
 *   so amounts and dates are found as written.
 */

/**
 * Bumped whenever `searchTerms` changes what it emits: a library indexed with another version is
 * re-indexed from its stored lines (`reindexLibrary`), since old and new terms would not meet.
 */
export const SEARCH_TERMS_VERSION = '2';

let jieba: Jieba | undefined;
function segmenter(): Jieba {
  // Loading the dictionary takes ~0.2 s: do it once, on first use.
  jieba ??= Jieba.withDict(dict);
  return jieba;
}

// The Porter stemmer runs a cascade of regular expressions (~5 µs a word); words repeat a lot, so
// remember them. Bounded: cleared when full rather than growing with a large library.
const stems = new Map<string, string>();
function stem(word: string): string {
  let s = stems.get(word);
  if (s === undefined) {
    if (stems.size >= 200_000) stems.clear();
    s = stemmer(word);
    stems.set(word, s);
  }
  return s;
}

// One alternation, tried left to right: CJK run | number with separators | letter run.
const TOKEN = new RegExp(`([${CJK_LETTER_CLASS}]+)|(\\p{Nd}+(?:[.,/:-]\\p{Nd}+)*)|([\\p{L}\\p{M}]+)`, 'gu');

const SPACED_SLASH = /(\p{Nd})\s*\/\s+(?=\p{Nd})/gu;

/**
 * The punctuation a term may hold, only ever between digits ("112.45", "2018-02-12"): a store's
 * full-text tokenizer must keep these inside a token.
 */
export const TERM_INNER_CHARS = '.,/:-';

/**
 * The index terms of `text`, in order (duplicates kept, so BM25 sees term frequency).
 *
 * @example
 *   searchTerms('增值税专用发票 Total RM112.45 on 12/02/2018');
 *   // ['增值', '增值税', '专用', '发票', '专用发票', 'total', 'rm', '112.45', 'on', '12/02/2018']
 */
export function searchTerms(text: string): string[] {
  const out: string[] = [];
  // Dates are often typed or OCR'd with spaces after the slashes ("9/ 3/ 92"): join them, so both
  // spellings become the one term "9/3/92".
  const normalised = text.normalize('NFKC').replace(SPACED_SLASH, '$1/');
  for (const m of normalised.matchAll(TOKEN)) {
    if (m[1] !== undefined) {
      for (const word of segmenter().cutForSearch(m[1], true)) {
        if (word.trim() !== '') out.push(word);
      }
    } else if (m[2] !== undefined) {
      out.push(m[2]);
    } else if (m[3] !== undefined) {
      out.push(stem(m[3].toLowerCase()));
    }
  }
  return out;
}

/** English words too common to help a ranked OR query; they are dropped from queries, never from the index. */
const QUERY_STOP_WORDS = new Set(
  'a an and are as at be by for from has have how i in is it of on or that the this to was were what when where which who whom why will with'
    .split(' ')
    .map((w) => stemmer(w)),
);

/**
 * The distinct terms of a query, without English stop words (unless nothing else is left).
 *
 * @example
 *   queryTerms('What is the total of the receipts?'); // ['total', 'receipt']
 */
export function queryTerms(query: string): string[] {
  const all = [...new Set(searchTerms(query))];
  const kept = all.filter((t) => !QUERY_STOP_WORDS.has(t));
  return kept.length > 0 ? kept : all;
}
