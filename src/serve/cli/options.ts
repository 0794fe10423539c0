import { DocSightError } from '../../errors.js';

/**
 * Option parsers shared by every command, so a number flag is checked (and refused) the same way
 * everywhere. A refusal is a BAD_REQUEST DocSightError: commander passes it through, and the CLI prints
 * `docsight: error (BAD_REQUEST): --k must be a whole number from 1 to 1000, not "many".` with exit code 1.
 */

export interface WholeNumberOptions {
  /** Smallest accepted value; default 1. */
  min?: number;
  /** Largest accepted value; default none. */
  max?: number;
  /** A sentence appended to the refusal, e.g. where to find valid ids. */
  hint?: string;
}

/**
 * A commander parser for a whole number of `min` (default 1) or more, at most `max`; `label` names the flag
 * or argument in the refusal.
 *
 * @example
 *   .option('--limit <n>', 'at most N jobs', positiveInteger('--limit'), 50)
 *   .argument('<id>', 'document id', positiveInteger('A document id', { hint: 'See `docsight docs list`.' }))
 */
export function positiveInteger(label: string, options: WholeNumberOptions = {}): (raw: string) => number {
  const min = options.min ?? 1;
  const { max } = options;
  const range = max === undefined ? `of ${min} or more` : `from ${min} to ${max}`;
  return (raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(n) || n < min || (max !== undefined && n > max)) {
      const hint = options.hint ? ` ${options.hint}` : '';
      throw new DocSightError(
        'BAD_REQUEST',
        `${label} must be a whole number ${range}, not "${raw}".${hint}`,
      );
    }
    return n;
  };
}

/**
 * A commander parser that collects a repeatable flag into an array.
 *
 * @example
 *   .option('--tag <tag>', 'tag the documents (repeatable)', collect)
 */
export function collect(value: string, all: string[] = []): string[] {
  return [...all, value];
}
