import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.js';
import type { RawImage } from '../types.js';
import { EMPTY_BOX, TICKED_BOX, findCheckBoxes, insertGlyph, placeCheckBoxes } from './checkboxes.js';
import { createOcrEngine, type OcrEngine } from './engine.js';
import { toRgb } from './pixels.js';
import { TEST_FONTS } from '../../test-support/test-fonts.js';
import { renderPage } from './test-support/test-pages.js';

/** An outlined square of side `s` at (x, y), as a form prints an empty check-box. */
const box = (x: number, y: number, s = 24): string =>
  `<rect x="${x}" y="${y}" width="${s}" height="${s}" fill="none" stroke="#000" stroke-width="2"/>`;
/** The same square with a hand-drawn cross in it, as a filled-in form ticks one. */
const crossed = (x: number, y: number, s = 24): string =>
  box(x, y, s) +
  `<path d="M${x + 4} ${y + 4} L${x + s - 4} ${y + s - 4} M${x + s - 4} ${y + 4} L${x + 4} ${y + s - 4}" stroke="#000" stroke-width="2.5"/>`;
/** A tick (✓) rather than a cross. */
const ticked = (x: number, y: number, s = 24): string =>
  box(x, y, s) +
  `<path d="M${x + 5} ${y + s / 2} L${x + s / 2 - 2} ${y + s - 5} L${x + s - 4} ${y + 5}" fill="none" stroke="#000" stroke-width="2.5"/>`;

// Text 32 px high; boxes of 24 px, as on FUNSD's forms (box ≈ capital height). Next to them: letters and
// digits of a box's size that are round (O, 0), half round (D) or hollow and closed (口, 回, 日 in a CJK
// font), and a table cell far larger than the text; none of them is a check-box.
const FORM = {
  width: 1100,
  height: 480,
  lines: [
    { text: 'Yes', x: 100, y: 80, size: 32 },
    { text: 'No', x: 300, y: 80, size: 32 },
    { text: 'Maybe', x: 480, y: 80, size: 32 },
    { text: 'ODD 0 DOOR 2000 BOB 88', x: 60, y: 180, size: 32 },
    { text: '口袋 回家 日本 田中', x: 60, y: 280, size: 32, font: TEST_FONTS.zh },
    { text: 'Total', x: 620, y: 400, size: 32 },
  ],
  shapes:
    box(60, 56) +
    crossed(260, 56) +
    ticked(440, 56) +
    '<rect x="600" y="350" width="300" height="80" fill="none" stroke="#000" stroke-width="2"/>',
};

const rgb = (img: RawImage) => toRgb(img);
const LATIN = { ...FORM, lines: FORM.lines.filter((l) => l.font === undefined) };

describe('findCheckBoxes', () => {
  it('finds drawn boxes, tells crossed and ticked from empty, and takes no letter, digit or table cell for one', async () => {
    const page = rgb(await renderPage(LATIN));
    const found = findCheckBoxes(page, 34).sort((a, b) => a.x0 - b.x0);
    expect(found.map((b) => [Math.round(b.x0 / 10) * 10, Math.round(b.y0 / 10) * 10, b.ticked])).toEqual([
      [60, 60, false],
      [260, 60, true],
      [440, 60, true],
    ]);
  });

  it('finds nothing on a page of letters without boxes', async () => {
    const page = rgb(await renderPage({ ...LATIN, shapes: '' }));
    expect(findCheckBoxes(page, 34)).toEqual([]);
  });

  it('does take 口 and 回 for boxes by their shape alone (so placeCheckBoxes keeps boxes out of Chinese lines)', async () => {
    const page = rgb(await renderPage({ ...FORM, shapes: '' }));
    expect(findCheckBoxes(page, 34).length).toBeGreaterThan(0);
  });
});

describe('insertGlyph', () => {
  it('puts the box at the end of the line it sits at, dropping what the recogniser made of it', () => {
    expect(insertGlyph('区P.0.', TICKED_BOX, 0.05)).toBe('☑ P.0.');
    expect(insertGlyph('x 5 % METHYL', TICKED_BOX, 0.02)).toBe('☑ 5 % METHYL');
    expect(insertGlyph('ROTARY ]', TICKED_BOX, 0.95)).toBe('ROTARY ☑');
    expect(insertGlyph('BIOLOGICAL', EMPTY_BOX, 0.95)).toBe('BIOLOGICAL ☐');
  });

  it('keeps a real word that begins with a box-like letter', () => {
    expect(insertGlyph('OTHER', EMPTY_BOX, 0.1)).toBe('☐ OTHER');
    expect(insertGlyph('Done', EMPTY_BOX, 0.1)).toBe('☐ Done');
  });
});

describe('placeCheckBoxes', () => {
  const quad = (x0: number, y0: number, x1: number, y1: number) =>
    [x0, y0, x1, y0, x1, y1, x0, y1] as [number, number, number, number, number, number, number, number];
  it('writes a box into the line around it, or as a line of its own, and never into Chinese text', () => {
    const items = [
      { text: 'Yes', quad: quad(55, 50, 170, 90), confidence: 0.9 },
      { text: '口袋回家', quad: quad(55, 250, 400, 290), confidence: 0.9 },
    ];
    const out = placeCheckBoxes(items, [
      { ticked: false, x0: 60, y0: 56, x1: 84, y1: 80, confidence: 1 },
      { ticked: false, x0: 60, y0: 256, x1: 84, y1: 280, confidence: 1 },
      { ticked: true, x0: 700, y0: 56, x1: 724, y1: 80, confidence: 0.9 },
    ]);
    expect(out.map((i) => i.text)).toEqual(['☐ Yes', '口袋回家', '☑']);
    expect(out[2]!.quad).toEqual(quad(700, 56, 724, 80));
  });
});

describe('check-boxes in the OCR engine', () => {
  let ocr: OcrEngine;
  beforeAll(async () => {
    ocr = await createOcrEngine(configSchema.parse({ home: '/tmp/docsight-ocr-test' }).ocr);
  });
  afterAll(async () => {
    await ocr.close();
  });

  it('writes ☐ and ☑ before the words they belong to, and no box into the lines of letters or Chinese', async () => {
    const result = await ocr.recognize(await renderPage(FORM));
    const text = result.lines.map((l) => l.text).join('\n');
    expect(text).toContain('☐ Yes');
    expect(text).toContain('☑ No');
    expect(text).toContain('☑ Maybe');
    expect(text.match(/[☐☑]/gu)).toHaveLength(3);
    // The recogniser itself reads the lone 0 as O; what matters here is that no box was put into the line.
    expect(text).toMatch(/^ODD [0O] DOOR 2000/mu);
    expect(text).toContain('口袋');
  });

  it('leaves the page as the recogniser read it when turned off', async () => {
    const off = await createOcrEngine(configSchema.parse({ home: '/tmp/docsight-ocr-test' }).ocr, {
      checkBoxes: false,
    });
    try {
      const result = await off.recognize(await renderPage(FORM));
      expect(result.lines.map((l) => l.text).join('\n')).not.toMatch(/[☐☑]/u);
    } finally {
      await off.close();
    }
  });
});
