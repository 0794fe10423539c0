import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.js';
import { createOcrEngine, type OcrEngine, type OcrResult } from '../../read/ocr/engine.js';
import { renderPage, type PageSpec } from '../../read/ocr/test-support/test-pages.js';
import type { Quad } from '../../read/types.js';
import { TEST_FONTS } from '../../test-support/test-fonts.js';
import { prepareImage } from './prepare-image.js';
import {
  MIN_LEGIBLE_TEXT_PX,
  pageScale,
  planQuestionCrops,
  questionTerms,
  TARGET_TEXT_PX,
  type PlannedCrop,
} from './question-crops.js';

// An A4 invoice at 150 dpi (1240×1754 px) with 10-pt body text (~21 px): at the ask budget of 256 tokens the
// page is sent at 416×608, a third of its size, so that print renders at ~7 px — too small to read.
const ZH = TEST_FONTS.zh;
const invoice: PageSpec = {
  width: 1240,
  height: 1754,
  lines: [
    { text: 'ACME Office Supplies Ltd.', x: 100, y: 140, size: 40 },
    { text: 'Invoice No. 2024-0117', x: 100, y: 230, size: 21 },
    { text: 'Paper A4, 12 boxes', x: 100, y: 330, size: 21 },
    { text: '84.00', x: 900, y: 330, size: 21 },
    { text: 'Toner cartridge, 4 pieces', x: 100, y: 380, size: 21 },
    { text: '236.50', x: 900, y: 380, size: 21 },
    { text: 'Delivery fee', x: 100, y: 430, size: 21 },
    { text: '15.00', x: 900, y: 430, size: 21 },
    { text: 'Total due', x: 100, y: 520, size: 21 },
    { text: '335.50', x: 900, y: 520, size: 21 },
    { text: 'Payment within 30 days to account 6222 0000 1234', x: 100, y: 700, size: 21 },
    { text: '合同编号 HT-2024-088，签订日期 2024年3月1日', x: 100, y: 800, size: 21, font: ZH },
    { text: 'WAREHOUSE NOTICE', x: 100, y: 1400, size: 110 },
  ],
};

const ASK_BUDGET = 256;

function lineIndex(result: OcrResult, text: string): number {
  const i = result.lines.findIndex((l) => l.text.replace(/\s/g, '').includes(text.replace(/\s/g, '')));
  if (i < 0) throw new Error(`OCR did not read "${text}": ${result.lines.map((l) => l.text).join(' | ')}`);
  return i;
}

function contains(crop: PlannedCrop, box: Quad): boolean {
  const r = crop.region;
  for (let k = 0; k < 8; k += 2) {
    if (
      box[k]! < r.left ||
      box[k]! > r.left + r.width ||
      box[k + 1]! < r.top ||
      box[k + 1]! > r.top + r.height
    )
      return false;
  }
  return true;
}

describe('planQuestionCrops on a rendered invoice read by the real OCR models', () => {
  let ocr: OcrEngine;
  let page: OcrResult;
  let png: Buffer;

  beforeAll(async () => {
    ocr = await createOcrEngine(configSchema.parse({ home: '/tmp/docsight-zoom-test' }).ocr);
    const raw = await renderPage(invoice);
    png = await sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } })
      .png()
      .toBuffer();
    page = await ocr.recognize(raw);
  });
  afterAll(async () => {
    await ocr?.close();
  });

  const plan = (question: string, options: Partial<Parameters<typeof planQuestionCrops>[3]> = {}) =>
    planQuestionCrops(question, page.lines, page, { pageBudget: ASK_BUDGET, ...options });

  it('zooms on the line the question is about, at a legible scale, within its budget', () => {
    const p = plan('What is the total due?');
    expect(p.reason).toBe('zoom');
    expect(p.crops).toHaveLength(1);
    const [crop] = p.crops as [PlannedCrop];
    const total = lineIndex(page, 'Total due');
    expect(crop.matched[0]).toBe(total);
    expect(contains(crop, page.lines[total]!.box)).toBe(true);
    // The amount on the same row, far to the right, comes along as context.
    expect(contains(crop, page.lines[lineIndex(page, '335.50')]!.box)).toBe(true);
    // At the page's budget this print is illegible; in the crop it is at the target height.
    expect(crop.pageTextPx).toBeLessThan(MIN_LEGIBLE_TEXT_PX);
    expect(crop.pageTextPx).toBeCloseTo(crop.textHeight * pageScale(page, ASK_BUDGET), 5);
    expect(crop.cropTextPx).toBeGreaterThan(TARGET_TEXT_PX * 0.85);
    expect(crop.cropTextPx).toBeLessThan(TARGET_TEXT_PX * 1.3);
    expect(crop.tokens).toBeLessThanOrEqual(256);
    // A crop of a few lines, not the page again.
    expect(crop.region.height).toBeLessThan(page.height / 4);
  });

  it('matches numbers and dates as written', () => {
    const p = plan('Which item cost 236.50?');
    expect(p.crops[0]?.matched[0]).toBe(lineIndex(page, '236.50'));
    const invoiceNo = plan('What is invoice 2024-0117 for?');
    expect(invoiceNo.crops[0]?.matched).toContain(lineIndex(page, '2024-0117'));
  });

  it('matches Chinese questions through jieba, ignoring question words', () => {
    expect(questionTerms('合同编号是什么？')).toEqual(expect.arrayContaining(['合同', '编号']));
    expect(questionTerms('合同编号是什么？')).not.toContain('什么');
    const p = plan('合同编号是什么？');
    expect(p.reason).toBe('zoom');
    expect(p.crops[0]?.matched[0]).toBe(lineIndex(page, '合同编号'));
  });

  it('makes no crop when the print is already large enough at the page budget', () => {
    const p = plan('What does the warehouse notice say?');
    expect(p).toMatchObject({ reason: 'legible', crops: [] });
    // ... unless forced.
    const forced = plan('What does the warehouse notice say?', { mode: 'force' });
    expect(forced.crops[0]?.matched[0]).toBe(lineIndex(page, 'WAREHOUSE'));
    // A forced crop never shows the text smaller than the page does.
    expect(forced.crops[0]!.cropTextPx).toBeGreaterThanOrEqual(forced.crops[0]!.pageTextPx);
  });

  it('makes no crop when nothing on the page matches the question', () => {
    expect(plan('What is the weather in Paris?')).toMatchObject({ reason: 'no-match', crops: [] });
    expect(plan('What is it?')).toMatchObject({ reason: 'no-terms', crops: [] });
  });

  it('makes a second crop only when allowed, for a second match far from the first', () => {
    const question = 'What is the delivery fee and the payment account?';
    expect(plan(question).crops).toHaveLength(1);
    const two = plan(question, { maxCrops: 2 });
    expect(two.crops).toHaveLength(2);
    const matched = two.crops.flatMap((c) => c.matched);
    expect(matched).toEqual(
      expect.arrayContaining([lineIndex(page, 'Delivery fee'), lineIndex(page, 'Payment within')]),
    );
  });

  it('the crop, cut by prepareImage at the planned size, is legible to OCR', async () => {
    const [crop] = plan('What is the total due?').crops as [PlannedCrop];
    const image = await prepareImage(png, {
      maxTokens: crop.tokens,
      region: crop.region,
      size: { width: crop.width, height: crop.height },
    });
    expect([image.width, image.height, image.tokens]).toEqual([crop.width, crop.height, crop.tokens]);
    const { data, info } = await sharp(image.png).raw().toBuffer({ resolveWithObject: true });
    const read = await ocr.recognize({
      data: new Uint8Array(data),
      width: info.width,
      height: info.height,
      channels: info.channels as 3,
    });
    const text = read.lines.map((l) => l.text).join(' ');
    expect(text).toContain('Total due');
    expect(text).toContain('335.50');
  });
});

describe('planQuestionCrops geometry (boxes given directly)', () => {
  const line = (text: string, x: number, y: number, w: number, h: number) => ({
    text,
    confidence: 0.99,
    box: [x, y, x + w, y, x + w, y + h, x, y + h] as Quad,
  });

  it('clamps the region to the page', () => {
    const lines = [line('Total 9.99', 2, 3, 300, 20), line('Thanks', 2, 400, 100, 20)];
    const [crop] = planQuestionCrops(
      'total',
      lines,
      { width: 2000, height: 3000 },
      { pageBudget: 256 },
    ).crops;
    expect(crop?.region.left).toBe(0);
    expect(crop?.region.top).toBe(0);
  });

  it('merges matches on neighbouring lines into one crop', () => {
    const lines = [line('Total net 9.99', 100, 100, 400, 20), line('Total tax 1.00', 100, 130, 400, 20)];
    const p = planQuestionCrops(
      'total',
      lines,
      { width: 2000, height: 3000 },
      { pageBudget: 256, maxCrops: 2 },
    );
    expect(p.crops).toHaveLength(1);
    expect(p.crops[0]?.matched.sort()).toEqual([0, 1]);
  });

  it('skips a match the page already shows legibly and zooms on the next one', () => {
    const lines = [line('INVOICE', 100, 100, 600, 90), line('Invoice No. 4471', 100, 400, 300, 20)];
    const p = planQuestionCrops(
      'What is the invoice number?',
      lines,
      { width: 2000, height: 3000 },
      { pageBudget: 256 },
    );
    expect(p.crops.map((c) => c.matched)).toEqual([[1]]);
  });

  it('ignores lines OCR was unsure of', () => {
    const lines = [{ ...line('Total 9.99', 100, 100, 300, 20), confidence: 0.2 }];
    expect(planQuestionCrops('total', lines, { width: 2000, height: 3000 }, { pageBudget: 256 }).reason).toBe(
      'no-match',
    );
  });

  it('does not enlarge beyond twice the original pixels (no detail to gain)', () => {
    // A low-resolution photo: 8-px text on a 900×1200 image.
    const lines = [line('Total 9.99', 100, 100, 120, 8)];
    const [crop] = planQuestionCrops('total', lines, { width: 900, height: 1200 }, { pageBudget: 256 }).crops;
    expect(crop?.scale).toBeLessThanOrEqual(2.3); // 2× plus rounding to the 32-px grid
    expect(crop?.cropTextPx).toBeGreaterThan(crop!.pageTextPx * 1.25);
  });
});
