import { CJK_LETTER_CLASS } from '../text/cjk.js';
import { searchTerms } from '../text/search-terms.js';

const CJK_LETTER = new RegExp(`[${CJK_LETTER_CLASS}]`, 'u');
const WORD = new RegExp(`[${CJK_LETTER_CLASS}]+|\\p{Nd}+(?:[.,/:-]\\p{Nd}+)*|[\\p{L}\\p{M}]+`, 'gu');

/**
 * Whether a line contains any of the query's terms (as the index sees them).
 */
export function lineMatches(line: string, terms: ReadonlySet<string>): boolean {
  return searchTerms(line).some((t) => terms.has(t));
}

/**
 * Wraps the words of `text` that match query terms in `open`/`close` markers. English words match
 * by stem ("receipts" highlights for "receipt"); Chinese terms are marked where they occur.
 *
 * @example
 *   highlightTerms('Total RM112.45', new Set(['total', '112.45'])); // '[Total] RM[112.45]'
 */
export function highlightTerms(text: string, terms: ReadonlySet<string>, open = '[', close = ']'): string {
  const hanTerms = [...terms].filter((t) => CJK_LETTER.test(t)).sort((a, b) => b.length - a.length);
  let out = '';
  let last = 0;
  for (const m of text.matchAll(WORD)) {
    const word = m[0];
    const start = m.index;
    out += text.slice(last, start);
    last = start + word.length;
    if (CJK_LETTER.test(word)) {
      out += markHan(word, hanTerms, open, close);
    } else if (searchTerms(word).some((t) => terms.has(t))) {
      out += open + word + close;
    } else {
      out += word;
    }
  }
  return out + text.slice(last);
}

function markHan(run: string, hanTerms: string[], open: string, close: string): string {
  let out = '';
  let i = 0;
  outer: while (i < run.length) {
    for (const t of hanTerms) {
      if (run.startsWith(t, i)) {
        out += open + t + close;
        i += t.length;
        continue outer;
      }
    }
    out += run[i];
    i++;
  }
  return out.replaceAll(close + open, '');
}
