import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cropTextLine } from './crop.js';
import { decodeCtc } from './ctc.js';
import { defaultModelPaths, loadDictionary, loadModel, type ModelRunner } from './models.js';
import { toRgb, type RgbImage } from './pixels.js';
import { packStrips, REC_HEIGHT } from './recognize.js';
import { inkProfile, segmentWords } from './spaces.js';
import { renderPage } from './test-pages.js';

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

describe('segmentWords on real recogniser output', () => {
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
    const img = toRgb(page);
    if (underline) img.data.fill(0, 42 * img.width * 3, 44 * img.width * 3);
    const strip = cropTextLine(img, [0, 0, img.width, 0, img.width, img.height, 0, img.height], REC_HEIGHT);
    const out = await rec.run(packStrips([strip], REC_HEIGHT, strip.width), [1, 3, REC_HEIGHT, strip.width]);
    const steps = out.dims[1]!;
    const line = decodeCtc(out.data, 0, steps, out.dims[2]!, dictionary);
    return { line, text: segmentWords(line.chars, strip, strip.width / steps) };
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
});
