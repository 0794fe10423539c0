import { describe, expect, it } from 'vitest';
import { availableZhFonts } from './generate.js';
import { estimateWidthEm, renderTextPage, wrapParagraph } from './render-page.js';
import { greyPixels, inkBands } from './test-support/ink.js';

// These tests draw real Chinese text, so they need a CJK font (Debian fonts-noto-cjk or fonts-wqy-zenhei,
// installed by .ci/run).
const font = availableZhFonts()[0]!;

describe('wrapParagraph', () => {
  it('breaks between Chinese characters and at spaces between Latin words', () => {
    expect(wrapParagraph('合同总金额 USD 45,000', 5)).toEqual(['合同总金额', 'USD', '45,000']);
    expect(wrapParagraph('甲方乙方', 2)).toEqual(['甲方', '乙方']);
  });

  it('keeps every non-space character, in order', () => {
    const text = '第一条 甲方向乙方采购工业控制器二百台，单价人民币 1,250.00 元 (RMB)。';
    const lines = wrapParagraph(text, 7);
    expect(lines.join('').replace(/\s/g, '')).toBe(text.replace(/\s/g, ''));
    for (const line of lines) expect(estimateWidthEm(line)).toBeLessThanOrEqual(7);
  });

  it('cuts a Latin word longer than a line', () => {
    expect(wrapParagraph('ABCDEFGHIJ', 3)).toEqual(['ABCDE', 'FGHIJ']);
  });
});

describe('renderTextPage', () => {
  it('draws one band of ink per GT line, inside the GT box', async () => {
    const page = await renderTextPage({
      width: 800,
      height: 600,
      margin: 40,
      fontFamily: font,
      fontSize: 30,
      paragraphs: ['采购合同（节选）', '合同编号：HT-2024-0315', '甲方：上海明远贸易有限公司'],
    });
    expect(page.lines.map((l) => l.text)).toEqual([
      '采购合同（节选）',
      '合同编号：HT-2024-0315',
      '甲方：上海明远贸易有限公司',
    ]);
    const bands = inkBands(await greyPixels(page.image));
    expect(bands).toHaveLength(3);
    bands.forEach(([top, bottom], i) => {
      const box = page.lines[i]!.box;
      // The box is estimated from the font size; the ink must lie within it, give or take a few pixels.
      expect(top).toBeGreaterThanOrEqual(box[1] - 4);
      expect(bottom).toBeLessThanOrEqual(box[5] + 4);
    });
  });

  it('draws real glyphs: different characters give different pixels (no empty boxes)', async () => {
    const draw = async (ch: string) =>
      (
        await renderTextPage({
          width: 80,
          height: 80,
          margin: 10,
          fontFamily: font,
          fontSize: 40,
          paragraphs: [ch],
        })
      ).image;
    const [zhong, guo] = await Promise.all([draw('中'), draw('国')]);
    expect((await greyPixels(zhong)).data.equals((await greyPixels(guo)).data)).toBe(false);
  });

  it('leaves out lines that do not fit, so the GT is exactly what was drawn', async () => {
    const page = await renderTextPage({
      width: 400,
      height: 120,
      margin: 10,
      fontFamily: font,
      fontSize: 30,
      paragraphs: ['国', '田', '回', '四', '目'],
    });
    expect(page.lines.map((l) => l.text)).toEqual(['国', '田']);
    expect(inkBands(await greyPixels(page.image))).toHaveLength(2);
  });

  it('escapes markup characters instead of breaking the SVG', async () => {
    const page = await renderTextPage({
      width: 600,
      height: 100,
      margin: 10,
      fontFamily: font,
      fontSize: 24,
      paragraphs: ['R&D <合同> "A"'],
    });
    expect(page.lines[0]!.text).toBe('R&D <合同> "A"');
    expect(inkBands(await greyPixels(page.image))).toHaveLength(1);
  });
});
