import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { buildPdf } from '../read/intake/test-support/build-pdf.js';
import { useTempDirs } from '../test-support/temp-dir.js';
import { zoomForQuestion } from '../understand/ask/question-zoom.js';
import { createDocSight, type DocSight } from './docsight.js';
import { fitToBudget, loadPageSource, ZOOM_RENDER_DPI } from './page-images.js';

const tempDir = useTempDirs('docsight-page-images-');
const apps: DocSight[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});
function app(): DocSight {
  const made = createDocSight(loadConfig({ env: {}, flags: { home: tempDir() } }), { ocrThread: 'main' });
  apps.push(made);
  return made;
}

// A4 in points, 10-pt Helvetica: at the ask budget this print renders at ~5 px.
const order = buildPdf([
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

describe('loadPageSource', () => {
  it('renders a PDF page, and for zooming a sharper render with the text layer, so no OCR is needed', async () => {
    const docsight = app();
    const source = await loadPageSource(docsight, { bytes: order, name: 'order.pdf' }, { forZoom: true });
    expect(source).toMatchObject({ name: 'order.pdf', page: 1, documentId: null });
    expect((await sharp(source.zoomImage!).metadata()).width).toBe(Math.round((595 / 72) * ZOOM_RENDER_DPI));
    const zoom = await zoomForQuestion({
      image: source.zoomImage!,
      question: 'What is the amount payable?',
      pageBudget: 256,
      lines: source.lines,
    });
    expect(zoom.linesFrom).toBe('given');
    expect(zoom.images).toHaveLength(1);
    // 'Amount payable' sits 142 pt below the top edge: at 200 dpi that is y ≈ 394 px.
    const crop = zoom.plan!.crops[0]!;
    const y = ((842 - 700) / 72) * ZOOM_RENDER_DPI;
    expect(crop.region.top).toBeLessThan(y - 20);
    expect(crop.region.top + crop.region.height).toBeGreaterThan(y);
  });

  it('refuses a page the document does not have, and a library page that is not there', async () => {
    const docsight = app();
    await expect(
      loadPageSource(docsight, { bytes: order, name: 'order.pdf', page: 2 }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/order\.pdf has 1 page\(s\); page 2 does not exist/),
    });
    await expect(loadPageSource(docsight, { documentId: 7, page: 1 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('takes a library page from its stored render and stored lines', async () => {
    const docsight = app();
    const { store, blobs } = docsight.library();
    const render = await sharp({
      create: { width: 300, height: 400, channels: 3, background: '#ffffff' },
    })
      .png()
      .toBuffer();
    const { document } = await store.addDocument({
      sha256: blobs.put(order),
      name: 'order.pdf',
      mime: 'application/pdf',
      sizeBytes: order.length,
    });
    const box = [10, 10, 200, 10, 200, 30, 10, 30] as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    await store.writePage({
      jobId: null,
      documentId: document.id,
      page: {
        page: 1,
        width: 600,
        height: 800,
        source: 'ocr',
        lines: [{ text: 'Total 9.90', box, confidence: 0.9 }],
      },
      imageSha256: blobs.put(render),
      chunks: [],
    });
    const source = await loadPageSource(docsight, { documentId: document.id, page: 1 }, { forZoom: true });
    expect(source).toMatchObject({ name: 'order.pdf', documentId: document.id, page: 1 });
    expect(Buffer.compare(source.bytes, render)).toBe(0);
    expect(source.blobSha256).toBe(blobs.put(render));
    expect(source.lines).toMatchObject({ width: 600, height: 800, lines: [{ text: 'Total 9.90' }] });
    // Fitted to a 64-token budget: 32×32 pixels per token.
    const fitted = await sharp((await fitToBudget(docsight, source.bytes, 64)).png).metadata();
    expect((fitted.width! * fitted.height!) / (32 * 32)).toBeLessThanOrEqual(64);
  });
});
