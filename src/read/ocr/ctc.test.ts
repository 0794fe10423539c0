import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cropTextLine } from './crop.js';
import { decodeCtc, gapExcess, isCjk, joinWithSpaces, type DecodedChar } from './ctc.js';
import { defaultModelPaths, loadDictionary, loadModel, type ModelRunner } from './models.js';
import { toRgb } from './pixels.js';
import { packStrips, REC_HEIGHT } from './recognize.js';
import { renderLine } from './test-pages.js';

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

const ch = (char: string, at: number): DecodedChar => ({
  char,
  start: at,
  end: at,
  centre: at,
  prob: 1,
  spaceBefore: 0,
});

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

describe('joinWithSpaces / gapExcess', () => {
  it('puts a space at a gap wider than the line’s pitch, and none at normal pitch', () => {
    const chars = [ch('a', 0), ch('b', 3), ch('a', 6), ch('b', 9), ch('a', 16), ch('b', 19), ch('a', 22)];
    const excess = gapExcess(chars);
    expect(excess[4]).toBeGreaterThan(0.6);
    expect(Math.abs(excess[2]!)).toBeLessThan(0.2);
    expect(joinWithSpaces(chars)).toBe('abab aba');
  });

  it('never puts a space between two CJK characters, however wide the gap', () => {
    expect(joinWithSpaces([ch('中', 0), ch('文', 5), ch('中', 10), ch('文', 30)])).toBe('中文中文');
    expect(isCjk('中')).toBe(true);
    expect(isCjk('a')).toBe(false);
  });
});

describe('decodeCtc on real recogniser output', () => {
  let rec: ModelRunner;
  let dictionary: string[];
  beforeAll(async () => {
    const paths = defaultModelPaths();
    rec = await loadModel(paths.recognition, 1);
    dictionary = loadDictionary(paths.dictionary);
  });
  afterAll(async () => {
    await rec.close();
  });

  it('has one class per dictionary entry plus blank and space, and times characters left to right', async () => {
    const img = toRgb(await renderLine('HELLO   WORLD', 32));
    const strip = cropTextLine(img, [0, 0, img.width, 0, img.width, img.height, 0, img.height], REC_HEIGHT);
    const out = await rec.run(packStrips([strip], REC_HEIGHT, strip.width), [1, 3, REC_HEIGHT, strip.width]);
    expect(out.dims[2]).toBe(dictionary.length + 2);
    const line = decodeCtc(out.data, 0, out.dims[1]!, out.dims[2]!, dictionary);
    expect(line.text).toBe('HELLO WORLD');
    const letters = line.chars.filter((c) => c.char !== ' ');
    for (let i = 1; i < letters.length; i++)
      expect(letters[i]!.centre).toBeGreaterThan(letters[i - 1]!.centre);
    // The widest gap between letters is the one between the two words.
    const gaps = letters.slice(1).map((c, i) => c.centre - letters[i]!.centre);
    expect(gaps.indexOf(Math.max(...gaps))).toBe(4);
  });
});
