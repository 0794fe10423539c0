import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTextPage } from '../../eval/zh/render-page.js';
import {
  boxesFromProbabilityMap,
  detectText,
  medianTextHeight,
  mergeOverlappingBoxes,
  overlapOfSmaller,
  type DetectedBox,
} from './detect.js';
import { quadBounds, rectToQuad } from './geometry.js';
import { defaultModelPaths, loadModel, type ModelRunner } from './models.js';
import { toRgb } from './pixels.js';
import { renderPage } from './test-support/test-pages.js';

describe('boxesFromProbabilityMap (DB post-processing)', () => {
  it('turns a text kernel into one box grown beyond the kernel, and ignores faint noise', () => {
    const w = 100;
    const h = 40;
    const prob = new Float32Array(w * h);
    for (let y = 18; y < 24; y++) for (let x = 20; x < 80; x++) prob[y * w + x] = 0.9;
    prob[5 * w + 5] = 0.35; // a lone faint pixel
    const boxes = boxesFromProbabilityMap(prob, w, h);
    expect(boxes).toHaveLength(1);
    const b = quadBounds(boxes[0]!.quad);
    expect(boxes[0]!.score).toBeGreaterThan(0.85);
    // Unclip grows the 60×6 kernel on every side.
    expect(b.minX).toBeLessThan(20);
    expect(b.maxX).toBeGreaterThan(80);
    expect(b.minY).toBeLessThan(18);
    expect(b.maxY).toBeGreaterThan(24);
  });
});

describe('mergeOverlappingBoxes', () => {
  /** A text box centred at (cx, cy), `width`×`height`, turned clockwise by `degrees`. */
  const box = (cx: number, cy: number, width: number, height: number, degrees = 0): DetectedBox => ({
    quad: rectToQuad({
      cx,
      cy,
      width,
      height,
      ux: Math.cos((degrees * Math.PI) / 180),
      uy: Math.sin((degrees * Math.PI) / 180),
    }),
    score: 0.9,
  });

  it('joins two overlapping pieces of one line into one box that covers both', () => {
    const merged = mergeOverlappingBoxes([box(300, 100, 400, 40), box(560, 102, 200, 40)]);
    expect(merged).toHaveLength(1);
    const b = quadBounds(merged[0]!.quad);
    expect(b.minX).toBeLessThan(101);
    expect(b.maxX).toBeGreaterThan(659);
  });

  it('keeps neighbouring words of a line apart (unclipped boxes overlap by less than a height)', () => {
    expect(mergeOverlappingBoxes([box(200, 100, 200, 40), box(390, 100, 200, 40)])).toHaveLength(2);
  });

  it('keeps the lines of a page skewed by 3° apart, though their axis-aligned bounds overlap', () => {
    // 1600-px lines 45 px apart: turned 3°, each spans ~125 px vertically.
    const lines = [0, 1, 2, 3].map((k) => box(1000, 500 + 45 * k, 1600, 40, 3));
    expect(overlapOfSmaller(lines[0]!.quad, lines[1]!.quad)).toBeGreaterThan(0.5);
    expect(mergeOverlappingBoxes(lines)).toHaveLength(4);
    // Two overlapping pieces of one skewed line are still one line.
    expect(mergeOverlappingBoxes([box(600, 500, 800, 40, 3), box(1250, 534, 600, 40, 3)])).toHaveLength(1);
  });
});

describe('detectText on the real PP-OCRv4 detector', () => {
  let det: ModelRunner;
  beforeAll(async () => {
    det = await loadModel(defaultModelPaths().detection, 1);
  });
  afterAll(async () => {
    await det.close();
  });

  it('finds one box per drawn line, where the line was drawn', async () => {
    const lines = [
      { text: 'Quarterly report 2024', x: 60, y: 100, size: 40 },
      { text: 'Revenue grew by 12 percent', x: 60, y: 220, size: 32 },
      { text: 'Signed: J. Smith', x: 500, y: 340, size: 28 },
    ];
    const page = toRgb(await renderPage({ width: 900, height: 420, lines }));
    const boxes = await detectText(det, page, { maxSide: 960 });
    for (const line of lines) {
      // The drawn line's band: from the ascender (≈0.75 em above the baseline) to the descender.
      const drawn = [
        line.x,
        line.y - 0.75 * line.size,
        line.x + 200,
        line.y - 0.75 * line.size,
        line.x + 200,
        line.y + 0.2 * line.size,
        line.x,
        line.y + 0.2 * line.size,
      ] as const;
      const hits = boxes.filter((b) => overlapOfSmaller(b.quad, [...drawn]) > 0.5);
      expect(hits.length, line.text).toBe(1);
      const b = quadBounds(hits[0]!.quad);
      expect(Math.abs(b.minX - line.x)).toBeLessThan(line.size * 0.6);
    }
    expect(boxes).toHaveLength(3);
  });

  it('finds 8-pt text on a 300-dpi A4 page (2480×3508) at the default detection size', async () => {
    // 8 pt at 300 dpi is 33 px per em; the page is scaled to 1920 px on the long side.
    const page = toRgb(
      await renderPage({
        width: 2480,
        height: 3508,
        lines: [
          { text: 'Terms and conditions apply', x: 200, y: 400, size: 33 },
          { text: 'Ref 12345-ABC', x: 1800, y: 3300, size: 33 },
        ],
      }),
    );
    const boxes = await detectText(det, page, { maxSide: 1920 });
    expect(boxes).toHaveLength(2);
    expect(medianTextHeight(boxes)).toBeGreaterThan(33);
    const tops = boxes.map((b) => quadBounds(b.quad).minY).sort((a, b) => a - b);
    expect(tops[0]).toBeGreaterThan(350);
    expect(tops[0]).toBeLessThan(400);
    expect(tops[1]).toBeGreaterThan(3250);
  });

  /** The detector's input sizes, call by call. */
  function recordingRunner(): { runner: ModelRunner; sizes: string[] } {
    const sizes: string[] = [];
    return {
      sizes,
      runner: {
        run: (input, dims) => {
          sizes.push(`${dims[3]}x${dims[2]}`);
          return det.run(input, dims);
        },
        close: () => det.close(),
      },
    };
  }

  it('reads a large page with 10-pt text in one quick pass at 1280 px, and small type again at full size', async () => {
    // A 300-dpi A4 page of running text in `size`-px type.
    const a4 = async (size: number) => {
      const page = await renderTextPage({
        width: 2480,
        height: 3508,
        margin: 295,
        fontFamily: 'DejaVu Serif',
        fontSize: size,
        lineSpacing: 1.3,
        paragraphs: Array.from(
          { length: 12 },
          (_, k) =>
            `Item ${k + 1}: payment is due within 30 days of the invoice date, quoting INV-2024-0419.`,
        ),
      });
      const { data, info } = await sharp(page.image).raw().toBuffer({ resolveWithObject: true });
      const image = toRgb({ data, width: info.width, height: info.height, channels: info.channels as 1 });
      return { image, lines: page.lines.length };
    };
    const normal = recordingRunner();
    const ten = await a4(42);
    expect(await detectText(normal.runner, ten.image, { maxSide: 1920 })).toHaveLength(ten.lines);
    expect(normal.sizes).toEqual(['896x1280']);

    const small = recordingRunner();
    const tiny = await a4(18);
    expect(await detectText(small.runner, tiny.image, { maxSide: 1920 })).toHaveLength(tiny.lines);
    expect(small.sizes).toEqual(['896x1280', '1344x1920']);

    // Pages the detector enlarges (100-dpi scans) get no quick pass.
    const scan = recordingRunner();
    await detectText(scan.runner, toRgb(await renderPage({ width: 762, height: 1000, lines: [] })), {
      maxSide: 1920,
    });
    expect(scan.sizes).toEqual(['1152x1504']);
  });
});
