import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.js';
import { createOcrEngine, type OcrEngine } from '../../read/ocr/engine.js';
import { renderPage } from '../../read/ocr/test-support/test-pages.js';
import type { TextLine } from '../../read/types.js';
import { createLlamaEngine } from '../engine/llama-engine.js';
import { tinyModel } from '../engine/test-support/test-models.js';
import { ImageStateCache } from '../image-cache/image-state-cache.js';
import { prepareImage } from '../images/prepare-image.js';
import { buildTaskRequest } from '../tasks/task-prompts.js';
import { chatWithImageCache, requestStateKey } from './chat-with-image-cache.js';
import { zoomForQuestion } from './question-zoom.js';

// A receipt-like page at 150 dpi with 10-pt print: illegible at the ask budget, so a question about it zooms.
const spec = {
  width: 1240,
  height: 1754,
  lines: [
    { text: 'Corner Shop, 12 High Street', x: 100, y: 150, size: 21 },
    { text: 'Milk 1 l', x: 100, y: 250, size: 21 },
    { text: '1.20', x: 900, y: 250, size: 21 },
    { text: 'Bread', x: 100, y: 300, size: 21 },
    { text: '2.35', x: 900, y: 300, size: 21 },
    { text: 'Total', x: 100, y: 400, size: 21 },
    { text: '3.55', x: 900, y: 400, size: 21 },
    { text: 'Paid by card on 2024-03-01', x: 100, y: 500, size: 21 },
  ],
};

const noOcr = {
  recognize: () => Promise.reject(new Error('OCR must not run here')),
};

describe('zoomForQuestion', () => {
  let ocr: OcrEngine;
  let png: Buffer;

  beforeAll(async () => {
    ocr = await createOcrEngine(configSchema.parse({ home: '/tmp/docsight-zoom-test' }).ocr);
    const raw = await renderPage(spec);
    png = await sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } })
      .png()
      .toBuffer();
  });
  afterAll(async () => {
    await ocr?.close();
  });

  it('reads the page with OCR when it has no lines, and adds one crop of the matching line', async () => {
    const zoom = await zoomForQuestion({ image: png, question: 'What is the total?', pageBudget: 256, ocr });
    expect(zoom.linesFrom).toBe('ocr');
    expect(zoom.images).toHaveLength(1);
    expect(zoom.note).toMatch(/^zoomed on "Total"/);
    const meta = await sharp(zoom.images[0]!.png).metadata();
    expect([meta.width, meta.height]).toEqual([zoom.images[0]!.width, zoom.images[0]!.height]);
  });

  it('uses stored lines (a library page) in their own coordinates, without running OCR', async () => {
    const read = await ocr.recognize(await renderPage(spec));
    // Stored at twice the resolution of the image at hand (e.g. OCR'd at 300 dpi, rendered at 150).
    const stored: TextLine[] = read.lines.map((l) => ({
      ...l,
      box: l.box.map((v) => v * 2) as TextLine['box'],
    }));
    const fromStore = await zoomForQuestion({
      image: png,
      question: 'What is the total?',
      pageBudget: 256,
      lines: { lines: stored, width: spec.width * 2, height: spec.height * 2 },
      ocr: noOcr,
    });
    const fromOcr = await zoomForQuestion({
      image: png,
      question: 'What is the total?',
      pageBudget: 256,
      ocr,
    });
    expect(fromStore.linesFrom).toBe('given');
    expect(fromStore.plan?.crops[0]?.region).toEqual(fromOcr.plan?.crops[0]?.region);
    expect(fromStore.images[0]?.sha256).toBe(fromOcr.images[0]?.sha256);
  });

  it('does nothing, and runs no OCR, when zoom is off or the page is sent at full resolution', async () => {
    const off = await zoomForQuestion({
      image: png,
      question: 'total?',
      pageBudget: 256,
      mode: 'off',
      ocr: noOcr,
    });
    expect(off).toMatchObject({ images: [], note: 'zoom off' });
    const small = await sharp(png).resize(400).png().toBuffer();
    const full = await zoomForQuestion({ image: small, question: 'total?', pageBudget: 256, ocr: noOcr });
    expect(full).toMatchObject({ images: [], note: 'no zoom: the page is sent at full resolution' });
  });

  it('says why when nothing matches', async () => {
    const zoom = await zoomForQuestion({
      image: png,
      question: 'Who signed the lease?',
      pageBudget: 256,
      ocr,
    });
    expect(zoom.images).toEqual([]);
    expect(zoom.note).toBe('no zoom: no line matches sign, leas');
  });
});

// The real engine: the page and its crop are two images of one request, and the image-state cache keys on both.
const native = process.env.DOCSIGHT_SKIP_NATIVE === '1' ? describe.skip : describe;

native('a zoomed question through the engine and the image-state cache (tiny synthetic Qwen3-VL)', () => {
  it('encodes page + crop, caches them together, and never serves the page-only state for it', async () => {
    const files = await tinyModel();
    const cacheDir = await mkdtemp(join(tmpdir(), 'zoom-cache-'));
    const engine = createLlamaEngine({ model: files.model, mmproj: files.mmproj, threads: 1, nCtx: 8192 });
    try {
      const raw = await renderPage(spec);
      const png = await sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: 3 } })
        .png()
        .toBuffer();
      const page = await prepareImage(png, { maxTokens: 256 });
      const ocr = await createOcrEngine(configSchema.parse({ home: '/tmp/docsight-zoom-test' }).ocr);
      const zoom = await zoomForQuestion({
        image: png,
        question: 'What is the total?',
        pageBudget: 256,
        ocr,
      });
      await ocr.close();
      const question = 'What is the total?';
      const zoomed = buildTaskRequest('ask', { images: [page, ...zoom.images], question });
      const alone = buildTaskRequest('ask', { images: [page], question });
      expect(requestStateKey(zoomed, 256)).not.toBe(requestStateKey(alone, 256));

      const cache = await ImageStateCache.open({ dir: cacheDir, maxBytes: 1e9, modelId: 'tiny' });
      const ask = async (request: typeof zoomed) => {
        // Read to the end: the state is saved after the last delta.
        let done: { cacheHit?: boolean; stats?: { imagesEncoded: number; imageTokens: number } } | undefined;
        for await (const d of chatWithImageCache(engine, cache, { ...request, maxTokens: 2 }, 256)) {
          if (d.type === 'done') done = d as typeof done;
        }
        return done!;
      };
      const first = await ask(zoomed);
      expect(first.cacheHit).toBe(false);
      expect(first.stats?.imagesEncoded).toBe(2);
      expect(first.stats?.imageTokens).toBe(page.tokens + zoom.images[0]!.tokens);
      await engine.clearCache();
      const again = await ask(zoomed);
      expect(again.cacheHit).toBe(true);
      expect(again.stats?.imagesEncoded).toBe(0);
      const pageOnly = await ask(alone);
      expect(pageOnly.cacheHit).toBe(false);
    } finally {
      await engine.close();
      await rm(files.dir, { recursive: true, force: true });
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
