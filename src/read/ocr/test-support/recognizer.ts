import { afterAll, beforeAll } from 'vitest';
import { cropTextLine } from '../crop.js';
import { decodeCtc, type DecodedLine } from '../ctc.js';
import { defaultModelPaths, loadDictionary, loadModel, type ModelRunner } from '../models.js';
import { toRgb, type RgbImage } from '../pixels.js';
import { packStrips, REC_HEIGHT } from '../recognize.js';
import type { RawImage } from '../../types.js';

/**
 * The real PP-OCRv4 recogniser for tests: loaded once per test file, closed after it. Tests of the
 * decoding and word-space stages read rendered text with it, so they check real model output.
 */
export interface TestRecognizer {
  model(): ModelRunner;
  dictionary(): string[];
  /**
   * Crops a rendered image whole into a recogniser strip, runs the model on it alone and decodes it.
   * `stepWidth` is the strip width one time step covers (what spaces.ts needs).
   */
  read(image: RawImage): Promise<{ strip: RgbImage; line: DecodedLine; stepWidth: number }>;
}

/**
 * Registers `beforeAll`/`afterAll` hooks that load and close the recogniser; call at the top of a
 * `describe` block.
 *
 * @example
 *   const rec = useRecognizer();
 *   it('reads', async () => expect((await rec.read(await renderLine('OK'))).line.text).toBe('OK'));
 */
export function useRecognizer(): TestRecognizer {
  let rec: ModelRunner | undefined;
  let dictionary: string[] = [];
  beforeAll(async () => {
    const paths = defaultModelPaths();
    rec = await loadModel(paths.recognition, 1);
    dictionary = loadDictionary(paths.dictionary);
  });
  afterAll(async () => {
    await rec?.close();
  });
  const model = (): ModelRunner => {
    if (!rec) throw new Error('useRecognizer(): the model is loaded in beforeAll; use it inside a test.');
    return rec;
  };
  return {
    model,
    dictionary: () => dictionary,
    async read(image) {
      const img = toRgb(image);
      const strip = cropTextLine(img, [0, 0, img.width, 0, img.width, img.height, 0, img.height], REC_HEIGHT);
      const out = await model().run(packStrips([strip], REC_HEIGHT, strip.width), [
        1,
        3,
        REC_HEIGHT,
        strip.width,
      ]);
      const steps = out.dims[1]!;
      const line = decodeCtc(out.data, 0, steps, out.dims[2]!, dictionary);
      return { strip, line, stepWidth: strip.width / steps };
    },
  };
}
