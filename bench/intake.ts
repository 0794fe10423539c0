/**
 * Intake speed and memory: PDF text layers, PDF page rendering, image decoding, and the promise that a
 * long PDF streams page by page (peak memory does not grow with the page count).
 * Inputs are made here (PDFs written by the test PDF builder, images by sharp), so the bench needs no data.
 *
 *   nice npx tsx bench/intake.ts [--pages 500]
 */
import sharp from 'sharp';
import { loadConfig } from '../src/config/config.js';
import { formatTable } from '../src/eval/table.js';
import { openDocument } from '../src/read/intake/open-document.js';
import { buildPdf, type TestPdfPage } from '../src/read/intake/test-support/build-pdf.js';
import { encodeBmp } from '../src/read/intake/test-support/encode-bmp.js';
import { readDocument } from '../src/read/read-document.js';

const pagesArg = process.argv.indexOf('--pages');
const PAGES = pagesArg > 0 ? Number(process.argv[pagesArg + 1]) : 500;
const config = loadConfig({ env: {}, flags: { home: '/tmp/docsight-bench-intake' } });
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);
const ms = (t: number): string => t.toFixed(1);

/** Peak RSS over a run, sampled after every step (the work between samples is synchronous). */
function rssTracker(): { sample(): void; peak(): number } {
  let peak = process.memoryUsage().rss;
  return {
    sample: () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    },
    peak: () => peak,
  };
}

/** An A4 page of 40 typed lines (about 2 400 characters): a dense text-layer page. */
function typedPage(n: number): TestPdfPage {
  const texts = Array.from({ length: 40 }, (_, i) => ({
    text: `Page ${n} line ${i + 1}: the quick brown fox jumps over the lazy dog, invoice ${1000 + i}.`,
    x: 56,
    y: 790 - i * 18,
    size: 10,
  }));
  return { texts };
}

/** An A4 page holding one grey 8×11 px image scaled over the whole page: a scanned page, cheap to store. */
function scannedPage(): TestPdfPage {
  const rgb = new Uint8Array(8 * 11 * 3).map((_, i) => 128 + (i % 97));
  return { image: { rgb, width: 8, height: 11, x: 0, y: 0, w: 595, h: 842 } };
}

const rows: string[][] = [];

// 1. Text layer through readDocument (no OCR, no rendering).
{
  const pdf = buildPdf(Array.from({ length: PAGES }, (_, i) => typedPage(i + 1)));
  const rss = rssTracker();
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  let lines = 0;
  for await (const page of readDocument({ bytes: pdf, name: 'typed.pdf' }, { config })) {
    lines += page.lines.length;
    rss.sample();
  }
  const seconds = (performance.now() - t0) / 1000;
  rows.push([
    `text layer, ${PAGES} pages × 40 lines (${mb(pdf.length)} MB PDF)`,
    ms((seconds * 1000) / PAGES),
    (PAGES / seconds).toFixed(0),
    `${mb(before)} → ${mb(rss.peak())}`,
    `${lines} lines`,
  ]);
}

// 2. Rendering scanned pages, one at a time, as readDocument does before OCR.
for (const dpi of [150, 300]) {
  const count = Math.min(PAGES, dpi === 300 ? 100 : 200);
  const pdf = buildPdf(Array.from({ length: count }, scannedPage));
  const doc = await openDocument(pdf, 'scanned.pdf', { ...config.intake, pdfDpi: dpi });
  const rss = rssTracker();
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  let raw = 0;
  for (let n = 1; n <= doc.pageCount; n++) {
    const image = await (await doc.page(n)).image();
    raw = image.data.length;
    rss.sample();
  }
  const seconds = (performance.now() - t0) / 1000;
  await doc.close();
  rows.push([
    `render A4 at ${dpi} dpi, ${count} pages (${mb(raw)} MB RGB each)`,
    ms((seconds * 1000) / count),
    (count / seconds).toFixed(1),
    `${mb(before)} → ${mb(rss.peak())}`,
    `all pages at once would be ${mb(raw * count)} MB`,
  ]);
}

// 3. PNG for the page viewer.
{
  const doc = await openDocument(buildPdf([typedPage(1)]), 'typed.pdf', config.intake);
  const page = await doc.page(1);
  for (const dpi of [96, 150]) {
    const t0 = performance.now();
    const repeats = 5;
    let size = 0;
    for (let i = 0; i < repeats; i++) size = (await page.renderPng(dpi)).length;
    rows.push([
      `renderPng at ${dpi} dpi (typed A4)`,
      ms((performance.now() - t0) / repeats),
      '',
      '',
      `${(size / 1024).toFixed(0)} KB PNG`,
    ]);
  }
  await doc.close();
}

// 4. Decoding images of an A4 page at 300 dpi.
{
  const width = 2480;
  const height = 3508;
  const svg = `<svg width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${Array.from(
    { length: 60 },
    (_, i) =>
      `<text x="200" y="${250 + i * 52}" font-size="36" font-family="DejaVu Sans">Line ${i + 1} of a scanned page, 1,250.00 EUR</text>`,
  ).join('')}</svg>`;
  const base = sharp(Buffer.from(svg)).flatten({ background: '#ffffff' });
  const { data, info } = await base.clone().raw().toBuffer({ resolveWithObject: true });
  const inputs: [string, Uint8Array][] = [
    ['PNG', await base.clone().png().toBuffer()],
    ['JPEG q90', await base.clone().jpeg({ quality: 90 }).toBuffer()],
    ['TIFF (LZW)', await base.clone().tiff({ compression: 'lzw' }).toBuffer()],
    [
      'BMP 24-bit',
      encodeBmp({ data, width: info.width, height: info.height, channels: 3 }, { bitsPerPixel: 24 }),
    ],
  ];
  for (const [label, bytes] of inputs) {
    const repeats = 5;
    const t0 = performance.now();
    for (let i = 0; i < repeats; i++) {
      const doc = await openDocument(bytes, label, config.intake);
      await (await doc.page(1)).image();
      await doc.close();
    }
    rows.push([
      `decode ${label} A4 300 dpi (${mb(bytes.length)} MB file)`,
      ms((performance.now() - t0) / repeats),
      '',
      '',
      '',
    ]);
  }
}

console.log(
  `intake on ${process.arch}, Node ${process.version}; peak RSS sampled after each page\n\n` +
    formatTable(['case', 'ms/page', 'pages/s', 'RSS MB before → peak', 'notes'], rows),
);
