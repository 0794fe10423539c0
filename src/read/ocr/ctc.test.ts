import { describe, expect, it } from 'vitest';
import { decodeCtc } from './ctc.js';
import { renderLine } from './test-support/test-pages.js';
import { useRecognizer } from './test-support/recognizer.js';

const dict = ['a', 'b', '中', '文'];
const CLASSES = dict.length + 2; // blank, dictionary, space

/** Softmax-like rows: each step puts `p` on one class and spreads the rest over the blank. */
function probs(classPerStep: number[], p = 0.9): Float32Array {
  const out = new Float32Array(classPerStep.length * CLASSES);
  classPerStep.forEach((k, t) => {
    out[t * CLASSES + k] = p;
    if (k !== 0) out[t * CLASSES] = 1 - p;
  });
  return out;
}

describe('decodeCtc', () => {
  it('collapses repeats, drops blanks, keeps each character’s time steps and mean confidence', () => {
    // a a _ a b b _ (space) b
    const line = decodeCtc(probs([1, 1, 0, 1, 2, 2, 0, 5, 2]), 0, 9, CLASSES, dict);
    expect(line.chars.map((c) => c.char).join('')).toBe('aab b');
    expect(line.chars.map((c) => [c.start, c.end])).toEqual([
      [0, 1],
      [3, 3],
      [4, 5],
      [7, 7],
      [8, 8],
    ]);
    expect(line.confidence).toBeCloseTo(0.9);
    expect(line.text).toBe('aab b');
  });

  it('reads an offset inside a batch output', () => {
    const two = new Float32Array([...probs([1, 0]), ...probs([2, 3])]);
    expect(decodeCtc(two, 2 * CLASSES, 2, CLASSES, dict).text).toBe('b中');
  });

  it('returns empty text with confidence 0 for an all-blank line', () => {
    expect(decodeCtc(probs([0, 0, 0]), 0, 3, CLASSES, dict)).toMatchObject({ text: '', confidence: 0 });
  });
});

describe('decodeCtc: the space class', () => {
  it('records before each character the strongest space probability since the previous character', () => {
    // a, two blank steps where the space class reaches 0.3 and 0.1, then b.
    const p = probs([1, 0, 0, 2]);
    p[1 * CLASSES + 5] = 0.3;
    p[2 * CLASSES + 5] = 0.1;
    const line = decodeCtc(p, 0, 4, CLASSES, dict);
    expect(line.text).toBe('ab');
    expect(line.chars[1]!.spaceBefore).toBeCloseTo(0.3);
    expect(line.chars[0]!.spaceBefore).toBe(0);
  });

  it('counts an emitted space, so the character after it carries its probability', () => {
    const line = decodeCtc(probs([1, 5, 2], 0.8), 0, 3, CLASSES, dict);
    expect(line.text).toBe('a b');
    expect(line.chars.map((c) => c.char)).toEqual(['a', ' ', 'b']);
    expect(line.chars[2]!.spaceBefore).toBeCloseTo(0.8);
  });
});

describe('decodeCtc on real recogniser output', () => {
  const rec = useRecognizer();

  it('has one class per dictionary entry plus blank and space, and times characters left to right', async () => {
    const { line } = await rec.read(await renderLine('HELLO   WORLD', 32));
    expect(line.text.replace(/ /g, '')).toBe('HELLOWORLD');
    const letters = line.chars.filter((c) => c.char !== ' ');
    for (let i = 1; i < letters.length; i++)
      expect(letters[i]!.centre).toBeGreaterThan(letters[i - 1]!.centre);
    // The widest gap between letters is the one between the two words, and the space class rose there.
    const gaps = letters.slice(1).map((c, i) => c.centre - letters[i]!.centre);
    expect(gaps.indexOf(Math.max(...gaps))).toBe(4);
    expect(letters[5]!.spaceBefore).toBeGreaterThan(
      Math.max(...letters.slice(1, 5).map((c) => c.spaceBefore)),
    );
  });

  it('emits the dictionary’s classes: blank + dictionary + space', async () => {
    const out = await rec.model().run(new Float32Array(3 * 48 * 96), [1, 3, 48, 96]);
    expect(out.dims[2]).toBe(rec.dictionary().length + 2);
  });
});
