import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Quad } from '../types.js';
import { cropTextLine } from './crop.js';
import { defaultModelPaths, loadDictionary, loadModel, type ModelRunner } from './models.js';
import { toRgb, type RgbImage } from './pixels.js';
import { recognizeStrips, REC_HEIGHT, type RecognizedStrip } from './recognize.js';
import { cropStretched, doubtfulLines, rereadDoubtfulLines, weakestCharProb } from './reread.js';

/**
 * A line drawn with its glyphs squeezed to `squeeze` of their width, 12 px high: the crowded small print of a
 * receipt or a low-resolution form, where the first reading gives some characters less than one model step.
 */
async function condensedLine(text: string, squeeze: number, size = 12): Promise<RgbImage> {
  const width = Math.ceil(text.length * size * 0.65 * squeeze + size);
  const height = Math.ceil(size * 1.6);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="100%" height="100%" fill="#fff"/><g transform="translate(${size / 2} ${Math.round(size * 1.15)}) scale(${squeeze} 1)">` +
    `<text x="0" y="0" font-family="DejaVu Sans" font-size="${size}">${text}</text></g></svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).flatten({ background: '#fff' }).raw().toBuffer({
    resolveWithObject: true,
  });
  return toRgb({ data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 });
}

const whole = (img: RgbImage): Quad => [0, 0, img.width, 0, img.width, img.height, 0, img.height];

const CONDENSED = 'Tel 03-2272 1111 Fax';
const PLAIN = 'Total Amount Payable';

describe('second reading of doubtful lines, on the real PP-OCRv4 recogniser', () => {
  let rec: ModelRunner;
  let dictionary: string[];
  let pages: RgbImage[];
  let first: RecognizedStrip[];
  const read = (strips: readonly RgbImage[]) => recognizeStrips(rec, strips, dictionary, { batchSize: 4 });
  beforeAll(async () => {
    const paths = defaultModelPaths();
    rec = await loadModel(paths.recognition, 1);
    dictionary = loadDictionary(paths.dictionary);
    pages = [await condensedLine(CONDENSED, 0.6), await condensedLine(PLAIN, 1, 24)];
    first = await read(pages.map((p) => cropTextLine(p, whole(p), REC_HEIGHT)));
  });
  afterAll(async () => {
    await rec.close();
  });

  it('finds the crowded line doubtful by its weakest character, not the plain one', () => {
    // The crowded line's first reading runs digits together; one of its characters is a guess.
    expect(first[0]!.text).not.toBe(CONDENSED);
    expect(weakestCharProb(first[0]!)).toBeLessThan(0.5);
    expect(first[1]!.text).toBe(PLAIN);
    expect(weakestCharProb(first[1]!)).toBeGreaterThan(0.5);
    expect(doubtfulLines(first, 0.5, 0.5)).toEqual([0]);
    // A line the engine drops (below minConfidence) is not read again, nor is anything at threshold 0.
    expect(doubtfulLines(first, 0.5, 0.99)).toEqual([]);
    expect(doubtfulLines(first, 0, 0.5)).toEqual([]);
  });

  it('reads the crowded line right from a stretched crop and leaves the plain one alone', async () => {
    const asked: number[] = [];
    const lines = await rereadDoubtfulLines(
      first,
      (i) => {
        asked.push(i);
        return cropStretched(pages[i]!, whole(pages[i]!), REC_HEIGHT, 1.25);
      },
      read,
      { below: 0.5, margin: 0.02, minConfidence: 0.5 },
    );
    expect(asked).toEqual([0]);
    expect(lines.map((l) => l.text)).toEqual([CONDENSED, PLAIN]);
    expect(lines[0]!.confidence).toBeGreaterThan(first[0]!.confidence);
    expect(lines[1]).toBe(first[1]);
  });

  it('keeps the first reading unless the second is surer by the margin', async () => {
    const wide = (i: number) => cropStretched(pages[i]!, whole(pages[i]!), REC_HEIGHT, 1.25);
    const [second] = await read([wide(0)]);
    const gain = second!.confidence - first[0]!.confidence;
    const options = (margin: number) => ({ below: 0.5, margin, minConfidence: 0.5 });
    expect((await rereadDoubtfulLines(first, wide, read, options(gain + 0.001)))[0]).toBe(first[0]);
    expect((await rereadDoubtfulLines(first, wide, read, options(gain - 0.001)))[0]!.text).toBe(CONDENSED);
    // A crop squeezed to a fifth of its width reads worse than the first did.
    const squeezed = (i: number) => cropStretched(pages[i]!, whole(pages[i]!), REC_HEIGHT, 0.2);
    expect((await rereadDoubtfulLines(first, squeezed, read, options(0)))[0]).toBe(first[0]);
  });
});

describe('cropStretched', () => {
  it('crops as cropTextLine does, stretched in width only; a tall box is turned first', async () => {
    const page = await condensedLine(CONDENSED, 1, 24);
    const plain = cropTextLine(page, whole(page), REC_HEIGHT);
    const wide = cropStretched(page, whole(page), REC_HEIGHT, 1.25);
    expect(wide.height).toBe(REC_HEIGHT);
    expect(Math.abs(wide.width - plain.width * 1.25)).toBeLessThanOrEqual(1);
    const tall: Quad = [10, 10, 30, 10, 30, 130, 10, 130];
    const turned = cropStretched(page, tall, REC_HEIGHT, 2);
    // 120 × 20 once turned: 48 px high, 288 wide at the plain scale, 576 stretched.
    expect(turned).toMatchObject({ width: 576, height: REC_HEIGHT });
  });
});
