import { describe, expect, it } from 'vitest';
import { fixed3, formatTable } from './table.js';

describe('formatTable', () => {
  it('pads every column to its widest cell', () => {
    expect(
      formatTable(
        ['metric', 'value'],
        [
          ['f1', '0.912'],
          ['seconds_per_page', '1.2'],
        ],
      ),
    ).toBe(
      [
        '| metric           | value |',
        '|------------------|-------|',
        '| f1               | 0.912 |',
        '| seconds_per_page | 1.2   |',
      ].join('\n'),
    );
  });

  it('fills missing cells with blanks', () => {
    expect(formatTable(['a', 'b'], [['x']])).toBe('| a | b |\n|---|---|\n| x |   |');
  });
});

describe('fixed3', () => {
  it('rounds to three decimals', () => {
    expect(fixed3(2 / 3)).toBe('0.667');
  });
});
