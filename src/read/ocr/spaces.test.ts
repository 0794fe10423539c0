import { describe, expect, it } from 'vitest';
import type { DecodedChar } from './ctc.js';
import type { RgbImage } from './pixels.js';
import { inkProfile, measureGaps, segmentWords, spaceScore, type CharGap } from './spaces.js';
import { TEST_FONTS } from '../../test-support/test-fonts.js';
import { renderPage } from './test-support/test-pages.js';
import { useRecognizer } from './test-support/recognizer.js';

/** A 48-px strip with ink blocks at the given [from, to) column ranges (rows 12..36). */
function blocks(width: number, ranges: [number, number][], underline = false): RgbImage {
  const data = new Uint8Array(width * 48 * 3).fill(255);
  for (const [from, to] of ranges)
    for (let y = 12; y < 36; y++) data.fill(0, (y * width + from) * 3, (y * width + to) * 3);
  if (underline) data.fill(0, 38 * width * 3, 40 * width * 3);
  return { data, width, height: 48 };
}

describe('inkProfile', () => {
  it('measures the text band and marks inked columns', () => {
    const p = inkProfile(
      blocks(100, [
        [10, 30],
        [60, 80],
      ]),
    );
    expect(p.textHeight).toBe(24);
    expect(p.columns[20]).toBe(1);
    expect(p.columns[45]).toBe(0);
  });

  it('ignores an underline that would fill the gaps between words', () => {
    const p = inkProfile(
      blocks(
        300,
        [
          [10, 100],
          [160, 250],
        ],
        true,
      ),
    );
    expect(p.columns[130]).toBe(0);
  });

  it('reports a blank strip as having no text', () => {
    expect(inkProfile(blocks(50, [])).textHeight).toBe(0);
  });
});

/** A decoded character at time step `at`, with the space class at `space` before it. */
const ch = (char: string, at: number, space = 0): DecodedChar => ({
  char,
  start: at,
  end: at,
  centre: at,
  prob: 1,
  spaceBefore: space,
});

describe('measureGaps', () => {
  // Five letters one step (8 px) apart, then one two steps further: a word gap in a monospaced line.
  const chars = [ch('A', 0), ch('B', 1), ch('C', 2), ch('D', 3), ch('E', 5, 0.4)];
  const strip = blocks(60, [
    [2, 6],
    [10, 14],
    [18, 22],
    [26, 30],
    [42, 46],
  ]);

  it('measures pitch against the line’s median, blank runs in text heights, and the space class', () => {
    const gaps = measureGaps(chars, strip, 8);
    expect(gaps.map((g) => g.pitch)).toEqual([0, 1, 1, 1, 2]);
    expect(gaps[1]!.blank).toBeCloseTo(4 / 24);
    expect(gaps[4]!.blank).toBeCloseTo(12 / 24);
    expect(gaps[4]!.spaceProb).toBe(0.4);
  });

  it('skips the model’s own spaces but remembers them', () => {
    const gaps = measureGaps([ch('a', 0), ch(' ', 1), ch('b', 2)], blocks(30, [[2, 6]]), 8);
    expect(gaps).toHaveLength(2);
    expect(gaps[1]!.emitted).toBe(true);
  });
});

describe('spaceScore', () => {
  const gap = (over: Partial<CharGap>): CharGap => ({
    blank: 0.1,
    pitch: 1,
    spaceProb: 0,
    emitted: false,
    punctuation: false,
    ...over,
  });

  it('is negative for a letter gap and positive for a word gap', () => {
    expect(spaceScore(gap({}))).toBeLessThan(0);
    expect(spaceScore(gap({ blank: 0.6, pitch: 2, spaceProb: 0.05 }))).toBeGreaterThan(0);
  });

  it('does not split at a blank run alone when pitch and the space class say "same word"', () => {
    // The gap beside a narrow letter in a monospaced font ("SUPPL IES").
    expect(spaceScore(gap({ blank: 0.5, pitch: 1, spaceProb: 0.01 }))).toBeLessThan(0);
  });

  it('trusts the model where it emitted a space', () => {
    expect(spaceScore(gap({ blank: 0.3, pitch: 1.2, spaceProb: 0.9 }))).toBeGreaterThan(0);
  });
});

describe('segmentWords on real recogniser output', () => {
  const rec = useRecognizer();

  /**
   * Renders `words` at explicit positions in DejaVu Sans Mono (advance exactly 0.602 em), so the blank
   * between words is exactly `gap` pixels, and reads them.
   */
  async function read(words: string[], gap: number, underline = false) {
    const size = 30;
    let x = 12;
    const lines = words.map((w) => {
      const spec = { text: w, x, y: 36, size, font: 'DejaVu Sans Mono' };
      x += w.length * size * 0.602 + gap;
      return spec;
    });
    const page = await renderPage({ width: Math.ceil(x + 12), height: 48, lines });
    if (underline) page.data.fill(0, 42 * page.width * page.channels, 44 * page.width * page.channels);
    const { line, strip, stepWidth } = await rec.read(page);
    return { line, text: segmentWords(line.chars, strip, stepWidth) };
  }

  it('restores word spaces at blank runs the model may swallow', async () => {
    const { text } = await read(['User', 'Manual', 'FAX:', '07-386'], 14);
    expect(text).toBe('User Manual FAX: 07-386');
  });

  it('adds no space inside words set tightly', async () => {
    const { text } = await read(['Receipt'], 0);
    expect(text).toBe('Receipt');
  });

  it('still splits underlined words', async () => {
    const { text } = await read(['NEW', 'EXPORT', 'PRODUCT'], 16, true);
    expect(text).toBe('NEW EXPORT PRODUCT');
  });

  it('keeps letter-spaced monospaced words whole (receipt printers: "SUPPL IES")', async () => {
    // Each character at a fixed pitch of 0.9 em: the blank around a narrow letter is as wide as a
    // proportional font's word gap, but the pitch doubles only at the spaces.
    const text = 'OFFICE SUPPLIES ADJUSTMENTS LIMITED TILL';
    const size = 20;
    const pitch = 0.9 * size;
    const page = await renderPage({
      width: Math.ceil(8 + text.length * pitch),
      height: 30,
      lines: [...text].map((c, i) => ({ text: c, x: 4 + i * pitch, y: 22, size, font: 'DejaVu Sans Mono' })),
    });
    const { line, strip, stepWidth } = await rec.read(page);
    expect(segmentWords(line.chars, strip, stepWidth)).toBe(text);
  });

  it('puts no space between CJK characters and keeps a wide gap before Latin text', async () => {
    // A snug canvas (renderLine's width allows 1.05 em for every character, and the long blank tail it leaves
    // after Latin text can make the recogniser see a stray character there).
    const { line, strip, stepWidth } = await rec.read(
      await renderPage({
        width: 300,
        height: 52,
        lines: [{ text: '增值税发票   No 12', x: 16, y: 37, size: 32, font: TEST_FONTS.zh }],
      }),
    );
    expect(segmentWords(line.chars, strip, stepWidth)).toBe('增值税发票 No 12');
  });
});
