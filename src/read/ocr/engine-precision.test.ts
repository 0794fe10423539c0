import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.js';
import { createOcrEngine, type OcrEngine } from './engine.js';
import { TEST_FONTS } from '../../test-support/test-fonts.js';
import { renderPage } from './test-support/test-pages.js';

const config = configSchema.parse({ home: '/tmp/docsight-ocr-test' }).ocr;

const page = {
  width: 1200,
  height: 560,
  lines: [
    { text: 'Statement of account, March 2024', size: 40 },
    { text: 'Balance brought forward: 12,480.75', size: 32 },
    { text: '合同金额人民币壹万贰仟捌佰元整', size: 36, font: TEST_FONTS.zh },
    { text: 'Call 0800 555 0199 before 5 pm', size: 28 },
  ].map((l, i) => ({ ...l, x: 60, y: 100 + i * 120 })),
};

describe('createOcrEngine with precision int8', () => {
  const engines: OcrEngine[] = [];
  beforeAll(async () => {
    engines.push(await createOcrEngine({ ...config, precision: 'float' }));
    engines.push(await createOcrEngine({ ...config, precision: 'int8' }));
  });
  afterAll(async () => {
    await Promise.all(engines.map((e) => e.close()));
  });

  it('reads a page as the float recogniser does: same characters, same boxes, confidences within 0.02', async () => {
    const image = await renderPage(page);
    const [float, int8] = await Promise.all(engines.map((e) => e.recognize(image)));
    const chars = (t: string) => t.normalize('NFKC').replace(/\s+/gu, '');
    expect(int8!.lines.map((l) => chars(l.text))).toEqual(page.lines.map((l) => chars(l.text)));
    expect(int8!.lines.map((l) => chars(l.text))).toEqual(float!.lines.map((l) => chars(l.text)));
    // Word spaces are a near-tie here: the float model reads "Call0800" (its space class and the gap both
    // borderline), the int8 one "Call 0800". At most one space may differ on the page.
    const spaces = (t: string) => t.split(' ').length - 1;
    const spaceDiff = int8!.lines.reduce(
      (n, l, i) => n + Math.abs(spaces(l.text) - spaces(float!.lines[i]!.text)),
      0,
    );
    expect(spaceDiff).toBeLessThanOrEqual(1);
    int8!.lines.forEach((l, i) => {
      // Detection is the same float model: boxes are identical, only the recogniser changed.
      expect(l.box).toEqual(float!.lines[i]!.box);
      expect(Math.abs(l.confidence - float!.lines[i]!.confidence)).toBeLessThan(0.02);
    });
  });
});
