import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { searchLibrary } from '../find/search-library.js';
import { createOcrEngine, type OcrEngine } from '../read/ocr/engine.js';
import type { TextLine } from '../read/types.js';
import { renderPage } from '../read/ocr/test-support/test-pages.js';
import { longestStall } from '../read/ocr/test-support/event-loop.js';
import { renderTextPng } from '../read/intake/test-support/render-text.js';
import { openLibrary } from '../store/library.js';
import { addToLibrary } from './add-to-library.js';
import { startIngestWorkers } from './ingest-workers.js';
import { createLibraryPageReader } from './library-page-reader.js';

const home = mkdtempSync(join(tmpdir(), 'docsight-reader-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('createLibraryPageReader', () => {
  it('ingests a scanned page with the real OCR models and finds it by its amount and date', async () => {
    const config = loadConfig({ env: {}, flags: { home } });
    const library = openLibrary(home);
    const reader = createLibraryPageReader(config);
    const workers = startIngestWorkers({ library, readPages: reader.readPages, pollMs: 50 });
    try {
      const png = await renderTextPng('HARDWARE SHOP\nDATE 2018-02-12\nTOTAL 112.45');
      const { job } = await addToLibrary(library, { bytes: png, name: 'receipt.png' });
      await workers.idle();
      expect(await library.store.getJob(job!.id)).toMatchObject({ state: 'done', pagesDone: 1 });
      const page = await library.store.getPage(job!.documentId!, 1);
      expect(page!.source).toBe('ocr');
      // A single-image document's page image is its original blob.
      expect(page!.imageSha256).toBe((await library.store.getDocument(job!.documentId!))!.sha256);
      const { results } = await searchLibrary(library.store, '112.45 2018-02-12', { k: 3 });
      expect(results).toHaveLength(1);
      expect(results[0]).toMatchObject({ documentName: 'receipt.png', page: 1 });
      expect(results[0]!.boxes).toHaveLength(2);
    } finally {
      await workers.stop();
      await reader.close();
      await library.close();
    }
  });

  it('reads scanned pages with the engine it is given, and leaves that engine open', async () => {
    const config = loadConfig({ env: {}, flags: { home } });
    const library = openLibrary(home);
    const seen: number[] = [];
    let closed = false;
    // The process's engine (DocSight.ocr in the application), here one that answers without models.
    const given: OcrEngine = {
      recognize: async (image) => {
        seen.push(image.width);
        const box = [0, 0, 10, 0, 10, 10, 0, 10] as TextLine['box'];
        return { ...image, rotation: 0, lines: [{ text: 'GIVEN ENGINE 7731', box, confidence: 1 }] };
      },
      close: async () => {
        closed = true;
      },
    };
    const reader = createLibraryPageReader(config, { ocr: given });
    const workers = startIngestWorkers({ library, readPages: reader.readPages, pollMs: 20 });
    try {
      const png = await renderTextPng('ANY TEXT');
      const { job } = await addToLibrary(library, { bytes: png, name: 'given.png' });
      await workers.idle();
      expect(await library.store.getJob(job!.id)).toMatchObject({ state: 'done', pagesDone: 1 });
      expect(seen).toHaveLength(1);
      const { results } = await searchLibrary(library.store, '7731', { k: 3 });
      expect(results[0]).toMatchObject({ documentName: 'given.png', page: 1 });
    } finally {
      await workers.stop();
      await reader.close();
      await library.close();
    }
    // Its owner closes it, not the reader.
    expect(closed).toBe(false);
  });

  it('keeps the event loop turning while it reads a scanned page', async () => {
    const config = loadConfig({ env: {}, flags: { home } });
    // A 300-dpi-sized page, so one model run takes long enough to see a stall.
    const page = await renderPage({
      width: 2480,
      height: 1200,
      lines: ['INVOICE 4471', 'TOTAL DUE 1,250.00', 'PAID BY TRANSFER'].map((text, i) => ({
        text,
        x: 200,
        y: 300 + i * 300,
        size: 60,
      })),
    });
    const png = await sharp(page.data, {
      raw: { width: page.width, height: page.height, channels: page.channels },
    })
      .png()
      .toBuffer();
    const library = openLibrary(home);
    const reader = createLibraryPageReader(config);
    const workers = startIngestWorkers({ library, readPages: reader.readPages, pollMs: 20 });
    const local = await createOcrEngine(config.ocr);
    try {
      // A first document loads the models (on the worker thread) so the measured one only reads.
      await addToLibrary(library, { bytes: await renderTextPng('WARM UP'), name: 'warm.png' });
      await workers.idle();
      let jobId = 0;
      const ingesting = await longestStall(async () => {
        jobId = (await addToLibrary(library, { bytes: png, name: 'invoice.png' })).job!.id;
        await workers.idle();
      });
      expect(await library.store.getJob(jobId)).toMatchObject({ state: 'done', pagesDone: 1 });
      const inProcess = await longestStall(() => local.recognize(page));
      // Read in process, each model run stops the loop (0.8-1.2 s here); through the library only the
      // bookkeeping does (~50 ms). A third leaves room for a loaded machine without passing an in-process read.
      expect(ingesting).toBeLessThan(inProcess / 3);
    } finally {
      await local.close();
      await workers.stop();
      await reader.close();
      await library.close();
    }
  });
});
