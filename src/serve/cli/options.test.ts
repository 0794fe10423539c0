import { describe, expect, it } from 'vitest';
import { isDocSightError } from '../../errors.js';
import { collect, positiveInteger } from './options.js';

describe('positiveInteger', () => {
  it('accepts whole numbers in range', () => {
    expect(positiveInteger('--k')('12')).toBe(12);
    expect(positiveInteger('--seed', { min: 0 })('0')).toBe(0);
    expect(positiveInteger('--k', { max: 1000 })('1000')).toBe(1000);
  });

  it.each(['many', '0', '-3', '1.5', '', ' ', '1001'])(
    'refuses "%s" with BAD_REQUEST naming the flag',
    (raw) => {
      let thrown: unknown;
      try {
        positiveInteger('--k', { max: 1000 })(raw);
      } catch (err) {
        thrown = err;
      }
      expect(isDocSightError(thrown, 'BAD_REQUEST')).toBe(true);
      expect((thrown as Error).message).toBe(`--k must be a whole number from 1 to 1000, not "${raw}".`);
    },
  );

  it('adds the hint to the refusal', () => {
    expect(() => positiveInteger('A document id', { hint: 'See `docsight docs list`.' })('x')).toThrow(
      'A document id must be a whole number of 1 or more, not "x". See `docsight docs list`.',
    );
  });
});

describe('collect', () => {
  it('gathers a repeated flag in order', () => {
    expect(collect('b', collect('a'))).toEqual(['a', 'b']);
  });
});
