import { describe, expect, it } from 'vitest';
import type { Config } from '../../config/config.js';
import { openDocument } from './open-document.js';
import { buildPdf } from './test-support/build-pdf.js';
import { formFanOutPdf, hiddenHugeImagePdf, inflatingContentPdf } from './test-support/hostile-pdf.js';

// A lower memory cap than the default (1 GiB) keeps the test light; the mechanism is the same.
const limits: Config['intake'] = {
  maxPixels: 50_000_000,
  maxPages: 100,
  pdfDpi: 72,
  maxFileBytes: 50_000_000,
  pdfPageTimeoutMs: 6000,
  pdfEngineMemoryBytes: 256 * 1024 * 1024,
};

/** Opens, reads and renders page 1; the error code (or 'ok') and how long it took. */
async function outcome(
  bytes: Uint8Array,
  name: string,
): Promise<{ code: string; message: string; ms: number }> {
  const started = performance.now();
  try {
    const doc = await openDocument(bytes, name, limits);
    try {
      await (await doc.page(1)).image();
    } finally {
      await doc.close();
    }
    return { code: 'ok', message: '', ms: performance.now() - started };
  } catch (err) {
    const { code, message } = err as { code?: string; message: string };
    return { code: code ?? 'uncoded', message, ms: performance.now() - started };
  }
}

const valid = (): Uint8Array => buildPdf([{ texts: [{ text: 'Still fine', x: 72, y: 700, size: 12 }] }]);

describe('the contained PDF engine', () => {
  it('stops a content stream inflating past the memory cap with TOO_COMPLEX, and reads the next PDF', async () => {
    const bomb = await outcome(inflatingContentPdf(400 * 1024 * 1024), 'inflate.pdf');
    expect(bomb).toMatchObject({
      code: 'TOO_COMPLEX',
      message: expect.stringMatching(/^inflate\.pdf page 1: /),
    });
    // Before containment, every later PDF in the process failed with "not enough memory".
    const doc = await openDocument(valid(), 'after.pdf', limits);
    expect((await doc.page(1)).textLines?.map((l) => l.text)).toEqual(['Still fine']);
    await doc.close();
  });

  it('stops forms drawing forms (4^15 draws, a 3 KB file) with a coded error within the time limit', async () => {
    const fan = await outcome(formFanOutPdf(16, 4), 'fan-out.pdf');
    expect(['TOO_COMPLEX', 'CORRUPT_FILE']).toContain(fan.code);
    expect(fan.message).toMatch(/^fan-out\.pdf/);
    expect(fan.ms).toBeLessThan(limits.pdfPageTimeoutMs! + 3000);
    expect((await outcome(valid(), 'after.pdf')).code).toBe('ok');
  });

  it('finds an oversized image at the bottom of 17 nested forms (TOO_MANY_PIXELS)', async () => {
    expect((await outcome(hiddenHugeImagePdf('nested-forms', 30_000), 'nested.pdf')).code).toBe(
      'TOO_MANY_PIXELS',
    );
  });

  // Soft masks and annotation appearances: see the hostile corpus (hostile-corpus.test.ts).
});
