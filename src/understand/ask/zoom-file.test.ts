import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.js';
import { buildPdf } from '../../read/intake/test-support/build-pdf.js';
import { renderPage } from '../../read/ocr/test-support/test-pages.js';
import { ZOOM_RENDER_DPI, zoomForFile, zoomModeFromFlag } from './zoom-file.js';

const config = configSchema.parse({ home: '/tmp/docsight-zoom-test' });
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zoom-file-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('zoomForFile', () => {
  it('zooms on a PDF page from its text layer, in the coordinates of the page rendered for cropping', async () => {
    // A4 in points, 10-pt Helvetica: at the ask budget this print renders at ~5 px.
    const pdf = buildPdf([
      {
        width: 595,
        height: 842,
        texts: [
          { text: 'Purchase order 4471', x: 60, y: 780, size: 10 },
          { text: 'Amount payable: EUR 1,250.00', x: 60, y: 700, size: 10 },
          { text: 'Delivery to the Berlin warehouse', x: 60, y: 600, size: 10 },
        ],
      },
    ]);
    const path = join(dir, 'order.pdf');
    await writeFile(path, pdf);
    const zoom = await zoomForFile({
      path,
      page: 1,
      question: 'What is the amount payable?',
      pageBudget: 256,
      mode: 'auto',
      config,
    });
    expect(zoom.linesFrom).toBe('given'); // the text layer: no OCR
    expect(zoom.images).toHaveLength(1);
    const crop = zoom.plan!.crops[0]!;
    // 'Amount payable' sits 142 pt below the top edge: at 200 dpi that is y ≈ 394 px.
    const y = ((842 - 700) / 72) * ZOOM_RENDER_DPI;
    expect(crop.region.top).toBeLessThan(y - 20);
    expect(crop.region.top + crop.region.height).toBeGreaterThan(y);
    expect(crop.region.height).toBeLessThan(200);
  });

  it('reads an image file with OCR, and does nothing when zoom is off', async () => {
    const raw = await renderPage({
      width: 1240,
      height: 1754,
      lines: [
        { text: 'Total 42.00', x: 100, y: 200, size: 21 },
        { text: 'Thank you', x: 100, y: 300, size: 21 },
      ],
    });
    const path = join(dir, 'receipt.png');
    await sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: 3 } })
      .png()
      .toFile(path);
    const base = { path, page: 1, question: 'total?', pageBudget: 256, config };
    const zoom = await zoomForFile({ ...base, mode: 'auto' });
    expect(zoom.linesFrom).toBe('ocr');
    expect(zoom.images).toHaveLength(1);
    expect(await zoomForFile({ ...base, mode: 'off' })).toMatchObject({ images: [], note: 'zoom off' });
  });
});

describe('zoomModeFromFlag', () => {
  it('maps --zoom / --no-zoom / neither', () => {
    expect([zoomModeFromFlag(true), zoomModeFromFlag(false), zoomModeFromFlag(undefined)]).toEqual([
      'force',
      'off',
      'auto',
    ]);
  });
});
