import { describe, expect, it } from 'vitest';
import { queryTerms, searchTerms } from './search-terms.js';

describe('searchTerms', () => {
  it('cuts Chinese in search mode so both the short and the long word are indexed', () => {
    const terms = searchTerms('增值税专用发票');
    expect(terms).toEqual(expect.arrayContaining(['增值税', '发票', '专用发票']));
    // The query "增值税发票" becomes terms that are all present in the document's terms.
    for (const t of searchTerms('增值税发票')) expect(terms).toContain(t);
  });

  it('case-folds and stems English', () => {
    expect(searchTerms('Receipts RUNNING Invoices')).toEqual(['receipt', 'run', 'invoic']);
  });

  it('keeps numbers, dates and amounts as written', () => {
    expect(searchTerms('TOTAL RM112.45 on 12/02/2018, due 2018-02-12 (1,234.50)')).toEqual([
      'total',
      'rm',
      '112.45',
      'on',
      '12/02/2018',
      'due',
      '2018-02-12',
      '1,234.50',
    ]);
  });

  it('joins dates typed with spaces after the slashes', () => {
    expect(searchTerms('Date: 9/ 3/ 92')).toEqual(['date', '9/3/92']);
    expect(searchTerms('9/3/92')).toEqual(['9/3/92']);
  });

  it('does not swallow sentence punctuation after a number', () => {
    expect(searchTerms('It cost 9.00. Paid.')).toEqual(['it', 'cost', '9.00', 'paid']);
  });

  it('handles mixed Chinese, English and digits in one line', () => {
    expect(searchTerms('2018年发票 Total')).toEqual(['2018', '年', '发票', 'total']);
  });
});

describe('queryTerms', () => {
  it('drops English stop words and repeats', () => {
    expect(queryTerms('What is the total of the total?')).toEqual(['total']);
  });

  it('keeps stop words when the query is only stop words', () => {
    expect(queryTerms('the')).toEqual(['the']);
  });
});
