import { rm } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../config/config.js';
import { renderPage } from '../read/ocr/test-support/test-pages.js';
import { useTempDirs } from '../test-support/temp-dir.js';
import { testImage, tinyModel } from '../understand/engine/test-support/test-models.js';
import { askAboutImages, type AskInput } from './ask.js';
import { createDocSight, type DocSight } from './docsight.js';
import type { AnswerDone } from './engine-answer.js';

// The tiny synthetic Qwen3-VL (real architecture, random weights): answers are gibberish, so these tests
// check what the use case promises — a streamed answer, its stats, the image state reused, a real stop.
const tempDir = useTempDirs('docsight-app-ask-');
let model: Awaited<ReturnType<typeof tinyModel>>;
let config: Config;
beforeAll(async () => {
  model = await tinyModel();
  config = loadConfig({
    env: {},
    flags: { home: tempDir(), understand: { modelPath: model.model, mmprojPath: model.mmproj, threads: 1 } },
  });
});
afterAll(() => rm(model.dir, { recursive: true, force: true }));

/** Runs the use case on a fresh app (a new engine process: nothing in memory from an earlier run). */
async function ask(input: AskInput, app?: DocSight): Promise<{ text: string; done: AnswerDone }> {
  const own = app ?? createDocSight(config, { ocrThread: 'main' });
  try {
    let text = '';
    let done: AnswerDone | undefined;
    for await (const event of askAboutImages(own, input)) {
      if (event.type === 'text') text += event.text;
      else done = event;
    }
    return { text, done: done! };
  } finally {
    if (!app) await own.close();
  }
}

describe('askAboutImages', () => {
  it('answers about image bytes, and a new app asking again loads the image state instead of encoding', async () => {
    const bytes = (await testImage(96, 3)).png;
    const input: AskInput = {
      images: [{ bytes, name: 'page.png' }],
      question: 'What is the total?',
      maxTokens: 4,
    };
    const first = await ask(input);
    expect(first.text.length).toBeGreaterThan(0);
    expect(first.done.stats).toMatchObject({ imageState: 'saved', imagesEncoded: 1 });
    expect(first.done.usage?.completionTokens).toBeGreaterThan(0);
    const again = await ask({ ...input, question: 'And the date?' });
    expect(again.done.stats).toMatchObject({ imageState: 'loaded', imagesEncoded: 0 });
  });

  it('asks about a library page: its stored render, and its stored lines to zoom on (no OCR)', async () => {
    const app = createDocSight(config, { ocrThread: 'main' });
    try {
      // An A4 page at 150 dpi with 10-pt print: ~7 px high once the page is fitted to 256 tokens.
      const raw = await renderPage({
        width: 1240,
        height: 1754,
        lines: [{ text: 'Total 3.55', x: 100, y: 400, size: 21 }],
      });
      const render = await sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: 3 } })
        .png()
        .toBuffer();
      const { store, blobs } = app.library();
      const { document } = await store.addDocument({
        sha256: blobs.put(render),
        name: 'receipt.png',
        mime: 'image/png',
        sizeBytes: render.length,
      });
      const box: [number, number, number, number, number, number, number, number] = [
        100, 380, 230, 380, 230, 406, 100, 406,
      ];
      await store.writePage({
        jobId: null,
        documentId: document.id,
        page: {
          page: 1,
          width: 1240,
          height: 1754,
          source: 'ocr',
          lines: [{ text: 'Total 3.55', box, confidence: 1 }],
        },
        imageSha256: document.sha256,
        chunks: [],
      });
      const { done } = await ask(
        { images: [{ documentId: document.id, page: 1 }], question: 'What is the total?', maxTokens: 2 },
        app,
      );
      expect(done.stats.zoom).toMatch(/^zoomed on "Total 3\.55"/);
      expect(done.stats).toMatchObject({ zoomedRegions: 1, imagesEncoded: 2 });
    } finally {
      await app.close();
    }
  });

  it('stops generating when its signal is aborted', async () => {
    const controller = new AbortController();
    const app = createDocSight(config, { ocrThread: 'main' });
    try {
      const events = askAboutImages(app, {
        images: [{ bytes: (await testImage(96, 4)).png, name: 'page.png' }],
        question: 'Describe everything.',
        maxTokens: 2000,
        signal: controller.signal,
      });
      let done: AnswerDone | undefined;
      let pieces = 0;
      for await (const event of events) {
        if (event.type === 'text' && ++pieces === 1) controller.abort();
        if (event.type === 'done') done = event;
      }
      expect(done!.finishReason).toBe('cancelled');
      expect(done!.stats.generatedTokens).toBeLessThan(2000);
    } finally {
      await app.close();
    }
  });

  it('checks fields against their schema, and refuses a request without an image', async () => {
    const image = { bytes: (await testImage(96, 5)).png, name: 'receipt.png' };
    const cut = ask({ images: [image], task: 'fields', schema: 'receipt', maxTokens: 3 });
    await expect(cut).rejects.toMatchObject({ code: 'INVALID_OUTPUT' });
    await expect(ask({ images: [], question: 'Total?' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
