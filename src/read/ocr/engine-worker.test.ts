import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.js';
import { isDocSightError } from '../../errors.js';
import type { RawImage } from '../types.js';
import { createOcrEngine, type OcrEngine } from './engine.js';
import { createOcrEngineInWorker } from './engine-worker.js';
import { renderPage } from './test-pages.js';

const config = configSchema.parse({ home: '/tmp/docsight-ocr-test' }).ocr;
const LINES = ['Quarterly Report 2024', 'Revenue grew by 12 percent', 'Please read the User Manual'];

/** The longest pause of the event loop (ms) while `work` runs, seen by a 5-ms timer. */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(longest, performance.now() - last);
}

describe('createOcrEngineInWorker', () => {
  let inWorker: OcrEngine;
  let inProcess: OcrEngine;
  let page: RawImage;
  beforeAll(async () => {
    [inWorker, inProcess] = await Promise.all([createOcrEngineInWorker(config), createOcrEngine(config)]);
    // A 300-dpi-sized page, so one detector run takes long enough to see the difference.
    page = await renderPage({
      width: 2480,
      height: 1200,
      lines: LINES.map((text, i) => ({ text, x: 200, y: 300 + i * 300, size: 60 })),
    });
  });
  afterAll(async () => {
    await Promise.all([inWorker.close(), inProcess.close()]);
  });

  it('reads a page as the in-process engine does', async () => {
    const [a, b] = [await inWorker.recognize(page), await inProcess.recognize(page)];
    expect(a.lines.map((l) => l.text)).toEqual(LINES);
    expect(a).toEqual(b);
  });

  it('leaves the event loop free while a page is read', async () => {
    const worker = await longestStall(() => inWorker.recognize(page));
    const local = await longestStall(() => inProcess.recognize(page));
    // In process, every model run blocks the loop; in the worker only the copy of the pixels does.
    expect(worker).toBeLessThan(local / 2);
  });

  it('passes errors back with their code, and cancels on an aborted signal', async () => {
    const bad = { ...page, width: 10 };
    await expect(inWorker.recognize(bad)).rejects.toSatisfy(
      (e: unknown) => isDocSightError(e) && e.code === 'BAD_REQUEST',
    );
    const controller = new AbortController();
    controller.abort(new Error('user left'));
    await expect(inWorker.recognize(page, { signal: controller.signal })).rejects.toSatisfy(
      (e: unknown) => isDocSightError(e) && e.code === 'CANCELLED',
    );
    // The engine still works afterwards.
    expect((await inWorker.recognize(page)).lines).toHaveLength(3);
  });
});
