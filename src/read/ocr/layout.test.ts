import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.js';
import type { Quad } from '../types.js';
import { createOcrEngine, type OcrEngine } from './engine.js';
import { dominantTextAngle, joinFragments, layoutLines, type LayoutItem } from './layout.js';
import { renderPage } from './test-support/test-pages.js';

/** An axis-aligned item; text height `h`. */
const item = (text: string, x: number, y: number, w: number, h = 20): LayoutItem => ({
  text,
  quad: [x, y, x + w, y, x + w, y + h, x, y + h] as Quad,
  confidence: 0.9,
});

describe('joinFragments', () => {
  it('joins pieces of one line that sit close on the same baseline, left to right', () => {
    const out = joinFragments([item('world', 130, 101, 60), item('Hello', 50, 100, 70)]);
    expect(out.map((l) => l.text)).toEqual(['Hello world']);
    expect(out[0]!.quad[0]).toBeCloseTo(50, 0);
  });

  it('keeps pieces apart when the gap is wide (a form field and its far-away value)', () => {
    expect(joinFragments([item('Name:', 50, 100, 60), item('Smith', 400, 100, 60)])).toHaveLength(2);
  });
});

describe('layoutLines', () => {
  it('reads two columns one after the other, each top to bottom', () => {
    const items = [
      item('Title across the page', 50, 20, 500),
      item('right 1', 320, 100, 200),
      item('left 1', 50, 100, 200),
      item('left 2', 50, 125, 200),
      item('right 2', 320, 125, 200),
      item('left 3', 50, 150, 200),
    ];
    const out = layoutLines(items);
    expect(out.map((l) => l.text)).toEqual([
      'Title across the page',
      'left 1',
      'left 2',
      'left 3',
      'right 1',
      'right 2',
    ]);
    // Three blocks: the title, the left column, the right column.
    expect(out.map((l) => l.block)).toEqual([0, 1, 1, 1, 2, 2]);
  });

  it('starts a new block after a paragraph gap', () => {
    const out = layoutLines([
      item('para one a', 50, 100, 300),
      item('para one b', 50, 124, 300),
      item('para two', 50, 220, 300),
    ]);
    expect(out.map((l) => l.block)).toEqual([0, 0, 1]);
  });

  it('returns nothing for nothing', () => {
    expect(layoutLines([])).toEqual([]);
  });
});

/** `item` turned clockwise by `degrees` about the origin, as on a page scanned askew. */
const skewed = (it: LayoutItem, degrees: number): LayoutItem => {
  const a = (degrees * Math.PI) / 180;
  const q = it.quad.map((v, i) =>
    i % 2 === 0
      ? v * Math.cos(a) - it.quad[i + 1]! * Math.sin(a)
      : it.quad[i - 1]! * Math.sin(a) + v * Math.cos(a),
  );
  return { ...it, quad: q as Quad };
};

describe('dominantTextAngle', () => {
  it('finds the skew of the long boxes and ignores short boxes at odd angles', () => {
    const lines = [0, 1, 2].map((i) => skewed(item(`line ${i}`, 50, 100 + 40 * i, 600), 3));
    const digits = [-30, 25].map((deg) => skewed(item('1', 300, 400, 20), deg));
    expect((dominantTextAngle([...lines, ...digits].map((l) => l.quad)) * 180) / Math.PI).toBeCloseTo(3, 5);
  });

  it('is 0 for an upright page and for a page with no long box', () => {
    expect(dominantTextAngle([item('upright', 50, 100, 600).quad])).toBe(0);
    expect(dominantTextAngle([skewed(item('1', 50, 100, 20), 20).quad])).toBe(0);
  });
});

describe('layoutLines on a skewed page', () => {
  // An invoice: long lines, then a table row of far-apart cells, 28-px type at a 45-px pitch. At 3° a
  // 700-px line drops 37 px from end to end, so axis-aligned bounds of neighbouring lines overlap.
  const upright = [
    item('Invoice number and date of issue', 90, 100, 700, 28),
    item('Buyer: Example Trading Company Limited', 90, 145, 650, 28),
    item('Item', 90, 190, 80, 28),
    item('Model', 300, 190, 90, 28),
    item('Qty', 520, 190, 50, 28),
    item('Price', 700, 190, 80, 28),
    item('Laptop computer ThinkPad E14 5 4,680.00', 90, 235, 680, 28),
    item('Laser printer HP M404dn 2 2,150.00', 90, 280, 640, 28),
  ];
  const rows = [
    'Invoice number and date of issue',
    'Buyer: Example Trading Company Limited',
    'Item',
    'Model',
    'Qty',
    'Price',
    'Laptop computer ThinkPad E14 5 4,680.00',
    'Laser printer HP M404dn 2 2,150.00',
  ];

  it.each([3, -3, 4])('reads the lines in their upright order at %i°', (degrees) => {
    const page = upright.map((it) => skewed(it, degrees));
    const out = layoutLines(page);
    expect(out.map((l) => l.text)).toEqual(rows);
    // A line that is one box keeps the quad it was found with.
    for (const l of out) expect(page.some((p) => p.quad === l.quad)).toBe(true);
  });

  it('joins fragments of one skewed line and returns their quad on the page as given', () => {
    const page = [item('Hello', 50, 100, 300), item('world', 360, 100, 300)].map((it) => skewed(it, 3));
    const out = layoutLines(page);
    expect(out.map((l) => l.text)).toEqual(['Hello world']);
    // The joined quad runs from the first fragment's top-left to the second's top-right.
    for (const k of [0, 1]) expect(out[0]!.quad[k]).toBeCloseTo(page[0]!.quad[k]!, 6);
    for (const k of [2, 3]) expect(out[0]!.quad[k]).toBeCloseTo(page[1]!.quad[k]!, 6);
  });
});

describe('reading a rendered skewed page', () => {
  let ocr: OcrEngine;
  beforeAll(async () => {
    ocr = await createOcrEngine(configSchema.parse({ home: '/tmp/docsight-ocr-test' }).ocr);
  });
  afterAll(async () => {
    await ocr.close();
  });

  // Long lines and a row of far-apart table headings at a 45-px pitch, drawn turned by 3°.
  const drawn = [
    { text: 'Invoice 08812345 issued on 15 March 2024 in Shanghai', x: 90, y: 120 },
    { text: 'Buyer: Beijing Huachuang Information Technology Ltd', x: 90, y: 165 },
    { text: 'Item', x: 90, y: 210 },
    { text: 'Model', x: 330, y: 210 },
    { text: 'Quantity', x: 560, y: 210 },
    { text: 'Amount', x: 800, y: 210 },
    { text: 'Laptop computer ThinkPad E14 five units 23,400.00', x: 90, y: 255 },
    { text: 'Laser printer HP M404dn two units at 2,150.00', x: 90, y: 300 },
    { text: 'Total amount 27,700.00 with tax of 13 percent', x: 90, y: 345 },
  ];

  it.each([3, -3])('reads its lines in the order they were drawn at %i°', async (skew) => {
    const page = await renderPage({
      width: 1240,
      height: 480,
      skew,
      lines: drawn.map((l) => ({ ...l, size: 28 })),
    });
    const { lines } = await ocr.recognize(page);
    expect(lines.map((l) => l.text)).toEqual(drawn.map((l) => l.text));
  });
});
