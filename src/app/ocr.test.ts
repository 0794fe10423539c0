import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { isDocSightError } from '../errors.js';
import { buildPdf } from '../read/intake/test-support/build-pdf.js';
import { renderTextPng } from '../read/intake/test-support/render-text.js';
import { useTempDirs } from '../test-support/temp-dir.js';
import { createDocSight } from './docsight.js';
import { ocrDocument } from './ocr.js';

const tempDir = useTempDirs('docsight-app-ocr-');
const app = createDocSight(loadConfig({ env: {}, flags: { home: tempDir() } }), { ocrThread: 'main' });
afterAll(() => app.close());

/** Every page the use case yields, with the progress it reported. */
async function read(bytes: Uint8Array, name: string) {
  const progress: string[] = [];
  const pages = [];
  const options = {
    onOpen: (n: number) => progress.push(`open ${n}`),
    onPage: (done: number, total: number) => progress.push(`${done}/${total}`),
  };
  for await (const page of ocrDocument(app, { bytes, name }, options)) pages.push(page);
  return { pages, progress };
}

describe('ocrDocument', () => {
  it('reads a PDF text layer from bytes, page by page, with progress', async () => {
    const pdf = buildPdf([
      { texts: [{ text: 'Invoice 2024-0419', x: 72, y: 700, size: 12 }] },
      { texts: [{ text: 'Total 2,389.56', x: 72, y: 700, size: 12 }] },
    ]);
    const { pages, progress } = await read(pdf, 'invoice.pdf');
    expect(pages.map((p) => [p.page, p.source, p.lines.map((l) => l.text)])).toEqual([
      [1, 'text-layer', ['Invoice 2024-0419']],
      [2, 'text-layer', ['Total 2,389.56']],
    ]);
    expect(progress).toEqual(['open 2', '1/2', '2/2']);
  });

  it('reads an image with the shared OCR engine', async () => {
    const { pages } = await read(await renderTextPng('Total due: 1,250.00 EUR'), 'receipt.png');
    expect(pages).toHaveLength(1);
    expect(pages[0]!.source).toBe('ocr');
    const text = pages[0]!.lines.map((l) => l.text).join(' ');
    expect(text.replace(/\s+/g, '').toLowerCase()).toContain('totaldue:1,250.00eur');
  });

  it('refuses bytes that are no document with an error naming them', async () => {
    const err = await read(new TextEncoder().encode('just notes\n'), 'notes.png').catch((e: unknown) => e);
    expect(isDocSightError(err, 'UNSUPPORTED_TYPE')).toBe(true);
    expect((err as Error).message).toMatch(/^notes\.png: not a supported document/);
  });
});
