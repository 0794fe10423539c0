import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Quad } from '../types.js';
import { cropTextLine, warpQuad } from './crop.js';
import { detectText } from './detect.js';
import { defaultModelPaths, loadDictionary, loadModel, type ModelRunner } from './models.js';
import { toRgb, type RgbImage } from './pixels.js';
import { recognizeStrips, REC_HEIGHT } from './recognize.js';
import { renderPage } from './test-support/test-pages.js';

/** A white page with a black 200×20 bar rotated by `deg` about (150, 100); returns the page and the bar's quad. */
function pageWithBar(deg: number): { page: RgbImage; quad: Quad } {
  const w = 300;
  const h = 200;
  const a = (deg * Math.PI) / 180;
  const data = new Uint8Array(w * h * 3).fill(255);
  const toPage = (u: number, v: number): [number, number] => [
    150 + u * Math.cos(a) - v * Math.sin(a),
    100 + u * Math.sin(a) + v * Math.cos(a),
  ];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Inverse-rotate the pixel centre into bar coordinates.
      const dx = x + 0.5 - 150;
      const dy = y + 0.5 - 100;
      const u = dx * Math.cos(a) + dy * Math.sin(a);
      const v = -dx * Math.sin(a) + dy * Math.cos(a);
      if (Math.abs(u) < 100 && Math.abs(v) < 10) data.fill(0, (y * w + x) * 3, (y * w + x) * 3 + 3);
    }
  }
  const quad = [...toPage(-100, -10), ...toPage(100, -10), ...toPage(100, 10), ...toPage(-100, 10)] as Quad;
  return { page: { data, width: w, height: h }, quad };
}

const mean = (img: RgbImage): number => img.data.reduce((s, v) => s + v, 0) / img.data.length;

describe('warpQuad', () => {
  it('straightens a bar skewed by 5°: the strip is the bar, with no paper in it', () => {
    const { page, quad } = pageWithBar(5);
    const strip = warpQuad(page, quad, 200, 20);
    expect(strip.width).toBe(200);
    expect(strip.height).toBe(20);
    // Inner pixels are all ink; an axis-aligned crop of the same bar would be ~45 % paper.
    let paper = 0;
    for (let y = 2; y < 18; y++)
      for (let x = 2; x < 198; x++) if (strip.data[(y * 200 + x) * 3]! > 128) paper++;
    expect(paper).toBe(0);
  });
});

describe('cropTextLine', () => {
  it('scales to the requested height and keeps the aspect ratio', () => {
    const { page, quad } = pageWithBar(0);
    const strip = cropTextLine(page, quad, 48);
    expect(strip.height).toBe(48);
    expect(strip.width).toBe(480);
    expect(mean(strip)).toBeLessThan(10);
  });

  it('turns tall boxes (vertical text) into horizontal strips', () => {
    const { page } = pageWithBar(0);
    const tall: Quad = [140, 20, 160, 20, 160, 180, 140, 180];
    const strip = cropTextLine(page, tall, 48);
    expect(strip.width).toBeGreaterThan(strip.height * 5);
  });
});

describe('crop + real models: a line skewed by 3° is read exactly', () => {
  let det: ModelRunner;
  let rec: ModelRunner;
  let dictionary: string[];
  beforeAll(async () => {
    const paths = defaultModelPaths();
    [det, rec] = await Promise.all([loadModel(paths.detection, 1), loadModel(paths.recognition, 1)]);
    dictionary = loadDictionary(paths.dictionary);
  });
  afterAll(async () => {
    await Promise.all([det.close(), rec.close()]);
  });

  it('reads "Payment received with thanks 450.00" at 3° skew', async () => {
    const text = 'Payment received with thanks 450.00';
    const page = toRgb(
      await renderPage({ width: 1000, height: 300, skew: 3, lines: [{ text, x: 80, y: 160, size: 36 }] }),
    );
    const boxes = await detectText(det, page, { maxSide: 1024 });
    expect(boxes).toHaveLength(1);
    const [line] = await recognizeStrips(rec, [cropTextLine(page, boxes[0]!.quad, REC_HEIGHT)], dictionary, {
      batchSize: 1,
    });
    expect(line!.text).toBe(text);
  });
});
