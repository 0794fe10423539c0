import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cropTextLine } from './crop.js';
import { defaultModelPaths, loadDictionary, loadModel, type ModelRunner } from './models.js';
import { toRgb, type RgbImage } from './pixels.js';
import { MIN_WIDTH, recognizeStrips, REC_HEIGHT, SHORT_STRIP_WIDTH } from './recognize.js';
import { TEST_FONTS } from '../../test-support/test-fonts.js';
import { renderLine } from './test-support/test-pages.js';

/** A whole rendered line as a recogniser strip. */
async function strip(text: string, size = 32, font?: string): Promise<RgbImage> {
  const img = toRgb(await renderLine(text, size, font));
  return cropTextLine(img, [0, 0, img.width, 0, img.width, img.height, 0, img.height], REC_HEIGHT);
}

describe('recognizeStrips on the real PP-OCRv4 recogniser', () => {
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

  it('reads rendered English lines, word spaces included, in the order given', async () => {
    const texts = ['Invoice 2024-117', 'Total due: 1,234.56 EUR', 'OK'];
    const strips = await Promise.all(texts.map((t) => strip(t)));
    const lines = await recognizeStrips(rec, strips, dictionary, { batchSize: 8 });
    expect(lines.map((l) => l.text)).toEqual(texts);
    for (const l of lines) expect(l.confidence).toBeGreaterThan(0.9);
  });

  it('gives the same text whatever the batch size (padding does not leak into results)', async () => {
    const texts = ['a', 'A much longer line of text to pad the batch', 'Date 12/02/2018', 'x 9'];
    const strips = await Promise.all(texts.map((t) => strip(t, 28)));
    const one = await recognizeStrips(rec, strips, dictionary, { batchSize: 1 });
    const four = await recognizeStrips(rec, strips, dictionary, { batchSize: 4 });
    expect(four.map((l) => l.text)).toEqual(one.map((l) => l.text));
    expect(one[2]!.text).toBe('Date 12/02/2018');
  });

  it('reads a Chinese line with Latin words inside, without spaces between the Chinese characters', async () => {
    const [line] = await recognizeStrips(
      rec,
      [await strip('文档识别支持中文和English混排', 36, TEST_FONTS.zh)],
      dictionary,
      {
        batchSize: 1,
      },
    );
    expect(line!.text.replace(/ /g, '')).toBe('文档识别支持中文和English混排');
    expect(line!.text).not.toMatch(/[\u4e00-\u9fff] [\u4e00-\u9fff]/);
  });

  it('runs a lone figure at its own width (rounded up to 8), not padded to a wider input, and reads it', async () => {
    const widths: number[] = [];
    const recording: ModelRunner = {
      run: (input, dims) => {
        widths.push(dims[3]!);
        return rec.run(input, dims);
      },
      close: () => rec.close(),
    };
    const figure = await strip('7', 28);
    const [line] = await recognizeStrips(recording, [figure], dictionary, { batchSize: 1 });
    expect(figure.width).toBeGreaterThan(MIN_WIDTH);
    expect(widths).toEqual([Math.ceil(figure.width / 8) * 8]);
    expect(widths[0]).toBeLessThan(64);
    expect(line!.text).toBe('7');
  });

  it('reads batches no wider than SHORT_STRIP_WIDTH with the short-strip runner and the rest with the main one', async () => {
    const calls: { runner: string; width: number }[] = [];
    const recording = (runner: string): ModelRunner => ({
      run: (input, dims) => {
        calls.push({ runner, width: dims[3]! });
        return rec.run(input, dims);
      },
      close: () => Promise.resolve(),
    });
    const texts = ['7', '42', 'Total due: 1,234.56 EUR'];
    const strips = await Promise.all(texts.map((t) => strip(t, 28)));
    expect(strips.map((s) => s.width <= SHORT_STRIP_WIDTH)).toEqual([true, true, false]);
    const lines = await recognizeStrips(recording('main'), strips, dictionary, {
      batchSize: 1,
      shortRunner: recording('short'),
    });
    expect(lines.map((l) => l.text)).toEqual(texts);
    expect(calls).toHaveLength(3);
    for (const c of calls) expect(c.runner).toBe(c.width <= SHORT_STRIP_WIDTH ? 'short' : 'main');
    expect(calls.filter((c) => c.runner === 'short')).toHaveLength(2);
  });

  it('stops when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(
      recognizeStrips(rec, [await strip('x')], dictionary, { batchSize: 1, signal: controller.signal }),
    ).rejects.toThrow('stop');
  });
});
