/** Brackets holding passage numbers: `[2]`, `[1, 3]`, `[1–3]`, and the full-width forms Chinese answers use. */
const BRACKETS = /[[【［]\s*(\d+(?:\s*(?:[,，、;]|[-–~])\s*\d+)*)\s*[\]】］]/g;

/** The longest range `[a-b]` expanded; anything longer is not a citation a model means. */
const MAX_RANGE = 20;

export interface CitedPassages {
  /** Valid passage numbers (1…count), in order of first mention, each once. */
  cited: number[];
  /** Numbers in brackets that name no passage (0, or above the count): dropped, never mapped to a guess. */
  invalid: number[];
}

/**
 * The passage numbers an answer cites. Only numbers in brackets count, and only those naming a passage that
 * was given: an answer that cites nothing has no citations, and an invalid number is reported, not repaired
 * (a nearest-passage guess would point the reader at text the model did not use).
 *
 * @example
 *   citedPassages('The total is 3.55 [2], dated 12 May [1][7].', 3); // { cited: [2, 1], invalid: [7] }
 */
export function citedPassages(answer: string, count: number): CitedPassages {
  const cited: number[] = [];
  const invalid: number[] = [];
  for (const match of answer.matchAll(BRACKETS)) {
    const numbers: number[] = [];
    for (const piece of match[1]!.split(/\s*[,，、;]\s*/)) {
      const range = /^(\d+)\s*[-–~]\s*(\d+)$/.exec(piece);
      if (range) {
        const [from, to] = [Number(range[1]), Number(range[2])];
        if (to >= from && to - from < MAX_RANGE) for (let n = from; n <= to; n++) numbers.push(n);
        else numbers.push(from, to);
      } else {
        numbers.push(Number(piece));
      }
    }
    for (const n of numbers) {
      const list = n >= 1 && n <= count ? cited : invalid;
      if (!list.includes(n)) list.push(n);
    }
  }
  return { cited, invalid };
}
