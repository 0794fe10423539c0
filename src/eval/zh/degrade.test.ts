import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { degradePage } from './degrade.js';
import { availableZhFonts } from './generate.js';
import { type RenderedPage, renderTextPage } from './render-page.js';
import { seededRandom } from './seeded-random.js';
import { greyPixels } from './test-support/ink.js';

let page: RenderedPage;
beforeAll(async () => {
  page = await renderTextPage({
    width: 600,
    height: 300,
    margin: 30,
    fontFamily: availableZhFonts()[0]!,
    fontSize: 32,
    paragraphs: ['增值税专用发票', '开票日期：2024年03月15日'],
  });
});

/** Mean and standard deviation of the grey levels in a rectangle. */
async function stats(image: Buffer, left: number, top: number, width: number, height: number) {
  const { data } = await sharp(image).greyscale().extract({ left, top, width, height }).raw().toBuffer({
    resolveWithObject: true,
  });
  const values = Array.from(data);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  // A loop, not Math.min(...values): a page has too many pixels for spread arguments.
  let min = 255;
  let max = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return { mean, sd, min, max };
}

describe('degradePage', () => {
  it('leaves a clean page as it is', async () => {
    const out = await degradePage(page, 'clean', seededRandom(1));
    expect(out.image.equals(page.image)).toBe(true);
    expect(out.params).toEqual({});
  });

  it('adds noise of the drawn strength to the empty paper', async () => {
    const out = await degradePage(page, 'noise', seededRandom(1));
    const paper = await stats(out.image, 0, 250, 600, 50);
    expect(out.params.sigma).toBeGreaterThanOrEqual(20);
    // Clipping at 255 cuts the spread on white paper roughly in half, so sigma itself is not seen.
    expect(paper.sd).toBeGreaterThan(5);
    expect((await stats(page.image, 0, 250, 600, 50)).sd).toBe(0);
  });

  it('blurs: no pure black is left in the text', async () => {
    const out = await degradePage(page, 'blur', seededRandom(1));
    expect((await stats(page.image, 0, 0, 600, 120)).min).toBeLessThan(10);
    expect((await stats(out.image, 0, 0, 600, 120)).min).toBeGreaterThan(10);
  });

  it('lowers contrast into the drawn ink and paper levels', async () => {
    const out = await degradePage(page, 'low-contrast', seededRandom(1));
    const all = await stats(out.image, 0, 0, 600, 300);
    expect(all.min).toBeGreaterThanOrEqual(out.params.ink! - 1);
    expect(all.max).toBeLessThanOrEqual(out.params.paper! + 1);
    expect(out.params.paper! - out.params.ink!).toBeLessThan(101);
  });

  it('re-encodes as a low-quality JPEG', async () => {
    const out = await degradePage(page, 'jpeg', seededRandom(1));
    expect(out.format).toBe('jpeg');
    expect((await sharp(out.image).metadata()).format).toBe('jpeg');
    expect(out.params.quality).toBeLessThanOrEqual(15);
  });

  it('skews the page and its GT boxes by the same few degrees', async () => {
    const out = await degradePage(page, 'skew', seededRandom(1));
    const degrees = out.params.degrees!;
    expect(Math.abs(degrees)).toBeGreaterThanOrEqual(1.5);
    expect(Math.abs(degrees)).toBeLessThanOrEqual(4);
    expect(out.width).toBeGreaterThan(page.width);
    const [x0, y0, x1, y1] = out.lines[0]!.box;
    expect((Math.atan2(y1 - y0, x1 - x0) * 180) / Math.PI).toBeCloseTo(degrees, 6);
    // The box centre still sits on ink after the rotation.
    const box = out.lines[0]!.box;
    const cx = Math.round((box[0] + box[4]) / 2);
    const cy = Math.round((box[1] + box[5]) / 2);
    const grey = await greyPixels(out.image);
    let darkest = 255;
    for (let y = cy - 12; y <= cy + 12; y++) {
      for (let x = cx - 40; x <= cx + 40; x++) darkest = Math.min(darkest, grey.data[y * grey.width + x]!);
    }
    expect(darkest).toBeLessThan(100);
  });

  it('is deterministic for a seed', async () => {
    const a = await degradePage(page, 'noise', seededRandom(9));
    const b = await degradePage(page, 'noise', seededRandom(9));
    expect(a.image.equals(b.image)).toBe(true);
  });
});
