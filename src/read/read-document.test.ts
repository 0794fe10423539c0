import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTempDirs } from '../test-support/temp-dir.js';
import { loadConfig } from '../config/config.js';
import { buildPdf } from './intake/test-support/build-pdf.js';
import { renderTextPng } from './intake/test-support/render-text.js';
import { createOcrEngine, type OcrEngine } from './ocr/engine.js';
import { createLazyOcrEngine, readDocument, type DocumentPage } from './read-document.js';
import type { PageText } from './types.js';

const tempDir = useTempDirs('docsight-read-');

const config = loadConfig({
  env: {},
  flags: { home: join(tmpdir(), 'docsight-read-test'), intake: { pdfDpi: 150 } },
});

/** Compares OCR text leniently: case and spaces vary between engines, the characters must not. */
const squash = (text: string): string => text.toLowerCase().replace(/\s+/g, '');

async function collect(pages: AsyncGenerator<PageText>): Promise<PageText[]> {
  const out: PageText[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

describe('readDocument', () => {
  let ocr: OcrEngine;
  let ocrCalls = 0;
  let png: Buffer;

  beforeAll(async () => {
    const engine = await createOcrEngine(config.ocr);
    // The real engine, counted: text-layer pages must never reach it.
    ocr = {
      recognize: (image, options) => {
        ocrCalls++;
        return engine.recognize(image, options);
      },
      close: () => engine.close(),
    };
    png = await renderTextPng('Total due: 1,250.00 EUR', { dpi: 200 });
  });
  afterAll(async () => ocr?.close());

  it('reads an image with OCR, with boxes inside the image', async () => {
    const [page] = await collect(readDocument({ bytes: png, name: 'receipt.png' }, { config, ocr }));
    expect(page).toMatchObject({ page: 1, source: 'ocr', rotation: 0 });
    const text = page!.lines.map((l) => l.text).join(' ');
    expect(squash(text)).toContain('totaldue:1,250.00eur');
    for (const line of page!.lines) {
      expect(line.confidence).toBeGreaterThan(0.5);
      expect(line.block).toBeTypeOf('number');
      for (let i = 0; i < 8; i += 2) {
        expect(line.box[i]).toBeGreaterThanOrEqual(0);
        expect(line.box[i]).toBeLessThanOrEqual(page!.width);
      }
    }
  });

  it('reads a mixed PDF page by page: the text layer where there is one, OCR for the scan', async () => {
    const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    // The scan is drawn at its own 200 dpi, so at 150 dpi it is rendered at 3/4 size.
    const scan = { rgb: data, width: info.width, height: info.height, x: 72, y: 600 };
    const pdf = buildPdf([
      { texts: [{ text: 'Contract of sale', x: 72, y: 700, size: 14 }] },
      { image: { ...scan, w: (info.width * 72) / 200, h: (info.height * 72) / 200 } },
    ]);
    const progress: string[] = [];
    const before = ocrCalls;
    const pages = await collect(
      readDocument(
        { bytes: pdf, name: 'mixed.pdf' },
        {
          config,
          ocr,
          onOpen: (n) => progress.push(`open ${n}`),
          onPage: (d, t) => progress.push(`${d}/${t}`),
        },
      ),
    );
    expect(pages.map((p) => [p.page, p.source])).toEqual([
      [1, 'text-layer'],
      [2, 'ocr'],
    ]);
    expect(ocrCalls - before).toBe(1);
    expect(progress).toEqual(['open 2', '1/2', '2/2']);
    expect(pages[0]!.lines).toMatchObject([{ text: 'Contract of sale', confidence: 1 }]);
    // A4 at 150 dpi.
    expect(pages.map((p) => [p.width, p.height])).toEqual([
      [1240, 1754],
      [1240, 1754],
    ]);
    expect(squash(pages[1]!.lines.map((l) => l.text).join(''))).toContain('totaldue:1,250.00eur');
    // Both sources share one coordinate system: the scan sits 1 inch (150 px) from the left edge.
    const left = Math.min(...pages[1]!.lines.map((l) => l.box[0]));
    expect(left).toBeGreaterThan(150);
    expect(left).toBeLessThan(150 + 40);
  });

  it('skips pages an earlier run stored, and renders page images when asked', async () => {
    const pdf = buildPdf([
      { texts: [{ text: 'Page one', x: 72, y: 700, size: 14 }] },
      { texts: [{ text: 'Page two', x: 72, y: 700, size: 14 }] },
      { texts: [{ text: 'Page three', x: 72, y: 700, size: 14 }] },
    ]);
    const pages = await collect(
      readDocument(
        { bytes: pdf, name: 'three.pdf' },
        { config, ocr, skipPages: new Set([1, 3]), pageImageDpi: 72 },
      ),
    );
    expect(pages.map((p) => p.lines[0]?.text)).toEqual(['Page two']);
    const image = await sharp((pages[0] as DocumentPage).image!).metadata();
    // A4 at 72 dpi is 595×842 points = pixels.
    expect([image.format, image.width, image.height]).toEqual(['png', 595, 842]);
  });

  it('keeps a text-layer page too large to render for the viewer, without its image', async () => {
    // 200 × 200 inches: 14 400² px at 72 dpi, over the 100 MP limit; the A4 page beside it renders.
    const pdf = buildPdf([
      { width: 14400, height: 14400, texts: [{ text: 'Site plan', x: 72, y: 72, size: 12 }] },
      { texts: [{ text: 'Notes', x: 72, y: 700, size: 12 }] },
    ]);
    const pages = (await collect(
      readDocument({ bytes: pdf, name: 'plan.pdf' }, { config, ocr, pageImageDpi: 72 }),
    )) as DocumentPage[];
    expect(pages.map((p) => [p.lines[0]?.text, p.image === undefined])).toEqual([
      ['Site plan', true],
      ['Notes', false],
    ]);
    // A page that needs OCR and cannot be rendered is still refused.
    const scan = buildPdf([{ width: 14400, height: 14400 }]);
    await expect(
      collect(readDocument({ bytes: scan, name: 'huge-scan.pdf' }, { config, ocr })),
    ).rejects.toMatchObject({
      code: 'TOO_MANY_PIXELS',
    });
  });

  it('reads from a path, and names a missing file', async () => {
    const dir = tempDir();
    const path = join(dir, 'letter.pdf');
    writeFileSync(path, buildPdf([{ texts: [{ text: 'Dear Sir', x: 72, y: 700, size: 12 }] }]));
    const pages = await collect(readDocument({ path }, { config, ocr }));
    expect(pages[0]!.lines.map((l) => l.text)).toEqual(['Dear Sir']);
    await expect(collect(readDocument({ path: join(dir, 'nope.pdf') }, { config }))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('nope.pdf: no such file'),
    });
    await expect(collect(readDocument({ path: dir }, { config }))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('yields each page as it is read: the first page of a 500-page PDF comes before the second is read', async () => {
    const pdf = buildPdf(
      Array.from({ length: 500 }, (_, i) => ({
        texts: [{ text: `Page ${i + 1}`, x: 72, y: 700, size: 12 }],
      })),
    );
    const read: number[] = [];
    const pages = readDocument(
      { bytes: pdf, name: 'long.pdf' },
      { config, ocr, onPage: (done, total) => read.push(done, total) },
    );
    const first = await pages.next();
    expect((first.value as PageText).lines.map((l) => l.text)).toEqual(['Page 1']);
    expect(read).toEqual([1, 500]);
    await pages.return(undefined);
  });

  it('stops with CANCELLED when the signal is aborted between pages', async () => {
    const controller = new AbortController();
    const pdf = buildPdf([
      { texts: [{ text: 'one', x: 72, y: 700, size: 12 }] },
      { texts: [{ text: 'two', x: 72, y: 700, size: 12 }] },
    ]);
    const seen: number[] = [];
    const run = async (): Promise<void> => {
      for await (const page of readDocument(
        { bytes: pdf, name: 'two.pdf' },
        { config, signal: controller.signal },
      )) {
        seen.push(page.page);
        controller.abort();
      }
    };
    await expect(run()).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(seen).toEqual([1]);
  });

  it.each(['worker', 'main'] as const)(
    'shares a lazily loaded engine (%s thread): errors keep their codes, calls after close fail',
    async (thread) => {
      const lazy = createLazyOcrEngine(config.ocr, { thread });
      try {
        const pages = await collect(readDocument({ bytes: png, name: 'receipt.png' }, { config, ocr: lazy }));
        expect(squash(pages[0]!.lines.map((l) => l.text).join(''))).toContain('totaldue:1,250.00eur');
        const bad = { data: new Uint8Array(30), width: 10, height: 10, channels: 3 as const };
        await expect(lazy.recognize({ ...bad, width: 11 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      } finally {
        await lazy.close();
      }
      const bad = { data: new Uint8Array(300), width: 10, height: 10, channels: 3 as const };
      await expect(lazy.recognize(bad)).rejects.toMatchObject({ code: 'ENGINE_FAILED' });
    },
  );
});
