/**
 * Find: ingest throughput and search latency.
 * - Ingest (the whole pipeline: store file → read → chunk → index) of a text-layer PDF and of scanned
 *   (rendered) pages read by the real OCR models: pages per minute.
 * - Query latency p50/p95 of `searchLibrary` (BM25, k = 10, snippets and boxes included) on generated
 *   libraries of zh + en pages, with peak RSS and database size. Pages are written through the same
 *   chunk + index path as ingestion (reading is skipped: it is measured above).
 * Inputs are generated here, so the bench needs no data.
 *
 *   nice npm run bench:search -- [--sizes 10000,100000] [--queries 300] [--ocr-pages 4] [--pdf-pages 100]
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { formatTable } from '../src/eval/table.js';
import { searchLibrary } from '../src/find/search-library.js';
import { addToLibrary } from '../src/ingest/add-to-library.js';
import { chunkPage } from '../src/ingest/chunk-page.js';
import { startIngestWorkers } from '../src/ingest/ingest-workers.js';
import { createLibraryPageReader } from '../src/ingest/library-page-reader.js';
import { layoutTextPage } from '../src/ingest/plain-text-reader.js';
import { buildPdf } from '../src/read/intake/test-support/build-pdf.js';
import { renderTextPng } from '../src/read/intake/test-support/render-text.js';
import { libraryDatabasePath, openLibrary, type Library } from '../src/store/library.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const SIZES = arg('sizes', '10000,100000').split(',').map(Number);
const QUERIES = Number(arg('queries', '300'));
const OCR_PAGES = Number(arg('ocr-pages', '4'));
const PDF_PAGES = Number(arg('pdf-pages', '100'));

let peakRss = process.memoryUsage().rss;
const sampleRss = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);

/** A deterministic generator (mulberry32), so every run builds the same library. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Chinese vocabulary: the 30 000 most frequent 2–4 character words of jieba's own dictionary. */
function chineseWords(): string[] {
  const require = createRequire(import.meta.url);
  const dict = join(dirname(require.resolve('@node-rs/jieba/package.json')), 'dict.txt');
  return readFileSync(dict, 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter(([w]) => w !== undefined && /^\p{Script=Han}{2,4}$/u.test(w))
    .sort((a, b) => Number(b[1]) - Number(a[1]))
    .slice(0, 30_000)
    .map(([w]) => w!);
}

/** English-like vocabulary: 20 000 pronounceable pseudo-words (no word list ships with the machine). */
function englishWords(rand: () => number): string[] {
  const on = [
    'b',
    'c',
    'd',
    'f',
    'g',
    'h',
    'l',
    'm',
    'n',
    'p',
    'r',
    's',
    't',
    'v',
    'w',
    'st',
    'pr',
    'tr',
    'ch',
    'sh',
  ];
  const nu = ['a', 'e', 'i', 'o', 'u', 'ea', 'ou', 'ai'];
  const co = ['', 'n', 'r', 's', 't', 'l', 'nd', 'ng', 'ck', 'st'];
  const words = new Set<string>();
  while (words.size < 20_000) {
    let w = '';
    const syllables = 1 + Math.floor(rand() * 3);
    for (let s = 0; s < syllables; s++) {
      w +=
        on[Math.floor(rand() * on.length)]! +
        nu[Math.floor(rand() * nu.length)]! +
        co[Math.floor(rand() * co.length)]!;
    }
    words.add(w);
  }
  return [...words];
}

/** Zipf-like pick: frequent words often, rare words rarely, as in real text. */
const pick = <T>(list: T[], rand: () => number): T => list[Math.floor(list.length * rand() ** 3)]!;

function pageText(n: number, zh: string[], en: string[], rand: () => number): string {
  const chinese = n % 2 === 0;
  const lines: string[] = [];
  for (let l = 0; l < 25; l++) {
    const parts: string[] = [];
    for (let w = 0; w < 8; w++) {
      const r = rand();
      if (r < 0.06) parts.push((rand() * 10_000).toFixed(2));
      else if (r < 0.08)
        parts.push(
          `20${10 + Math.floor(rand() * 15)}-0${1 + Math.floor(rand() * 9)}-${10 + Math.floor(rand() * 18)}`,
        );
      else if (chinese ? r < 0.8 : r < 0.15) parts.push(pick(zh, rand));
      else parts.push(pick(en, rand));
    }
    lines.push(parts.join(chinese ? '' : ' '));
  }
  return lines.join('\n');
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function databaseBytes(home: string): number {
  const db = libraryDatabasePath(home);
  let total = 0;
  for (const f of [db, `${db}-wal`, `${db}-shm`]) total += statSync(f, { throwIfNoEntry: false })?.size ?? 0;
  return total;
}

async function drain(library: Library, home: string): Promise<number> {
  const config = loadConfig({ env: {}, flags: { home } });
  const reader = createLibraryPageReader(config);
  const workers = startIngestWorkers({ library, readPages: reader.readPages, pollMs: 20 });
  let pages = 0;
  workers.events.on('progress', () => {
    pages++;
    sampleRss();
  });
  const t0 = performance.now();
  await workers.idle();
  const seconds = (performance.now() - t0) / 1000;
  await workers.stop();
  await reader.close();
  return (pages / seconds) * 60;
}

async function ingestThroughput(): Promise<string[][]> {
  const rows: string[][] = [];
  // A text-layer PDF: one document of PDF_PAGES typed pages.
  {
    const home = mkdtempSync(join(tmpdir(), 'docsight-bench-search-'));
    const library = openLibrary(home);
    const pdf = buildPdf(
      Array.from({ length: PDF_PAGES }, (_, p) => ({
        texts: Array.from({ length: 40 }, (_, i) => ({
          text: `Page ${p + 1} line ${i + 1}: invoice ${1000 + i} total ${(p * 13.7 + i).toFixed(2)} due 2024-03-${10 + (i % 18)}`,
          x: 56,
          y: 790 - i * 18,
          size: 10,
        })),
      })),
    );
    await addToLibrary(library, { bytes: pdf, name: 'typed.pdf' });
    const perMin = await drain(library, home);
    rows.push(['text-layer PDF', String(PDF_PAGES), perMin.toFixed(0)]);
    await library.close();
    rmSync(home, { recursive: true, force: true });
  }
  // Scanned pages: rendered PNGs, one document each, read by the real OCR models.
  if (OCR_PAGES > 0) {
    const home = mkdtempSync(join(tmpdir(), 'docsight-bench-search-'));
    const library = openLibrary(home);
    for (let p = 0; p < OCR_PAGES; p++) {
      const lines = Array.from(
        { length: 25 },
        (_, i) =>
          `Item ${p * 100 + i}  Invoice ${2000 + i}  Qty ${i % 7}  Amount ${(p * 31.5 + i * 2.25).toFixed(2)}`,
      );
      const png = await renderTextPng(lines.join('\n'), { dpi: 150 });
      await addToLibrary(library, { bytes: png, name: `scan-${p}.png` });
    }
    const perMin = await drain(library, home);
    rows.push(['OCR (rendered scans, 25 lines)', String(OCR_PAGES), perMin.toFixed(1)]);
    await library.close();
    rmSync(home, { recursive: true, force: true });
  }
  return rows;
}

async function queryLatency(size: number, zh: string[], en: string[]): Promise<string[]> {
  const home = mkdtempSync(join(tmpdir(), 'docsight-bench-search-'));
  const library = openLibrary(home);
  const rand = random(size);
  const samples: string[] = [];
  const pagesPerDoc = 100;
  const t0 = performance.now();
  for (let d = 0; d < size / pagesPerDoc; d++) {
    const { document } = await library.store.addDocument({
      sha256: `${d}`.padStart(64, '0'),
      name: `generated-${d}.pdf`,
      mime: 'application/pdf',
      sizeBytes: 0,
    });
    for (let p = 1; p <= pagesPerDoc; p++) {
      const text = pageText(d * pagesPerDoc + p, zh, en, rand);
      const page = layoutTextPage(text, p);
      await library.store.writePage({ jobId: null, documentId: document.id, page, chunks: chunkPage(page) });
      // Keep some lines to build queries from: words that are really in the library.
      if (samples.length < QUERIES && rand() < (QUERIES * 2) / size)
        samples.push(page.lines[Math.floor(rand() * 25)]!.text);
    }
    sampleRss();
  }
  const indexSeconds = (performance.now() - t0) / 1000;
  // Queries: two or three words of a stored line (zh lines give Chinese queries, en lines English), some with a number.
  const queries = samples.map((line, i) => {
    const tokens = line.match(/\p{Script=Han}+|[\p{L}]+|\d[\d.-]*\d/gu) ?? [line];
    const start = Math.floor(rand() * Math.max(1, tokens.length - 3));
    const words = tokens.slice(start, start + 2 + (i % 2));
    // A Chinese run is several dictionary words: take a 2-4 character piece of it, as a user would type.
    return words.map((w) => (/\p{Script=Han}/u.test(w) ? w.slice(0, 2 + (i % 3)) : w)).join(' ');
  });
  for (const q of queries.slice(0, 20)) await searchLibrary(library.store, q, { k: 10 }); // warm the page cache
  const times: number[] = [];
  let empty = 0;
  for (const q of queries) {
    const t = performance.now();
    const { results } = await searchLibrary(library.store, q, { k: 10 });
    times.push(performance.now() - t);
    if (results.length === 0) empty++;
    sampleRss();
  }
  times.sort((a, b) => a - b);
  const size_ = databaseBytes(home);
  await library.close();
  rmSync(home, { recursive: true, force: true });
  return [
    size.toLocaleString('en'),
    (size / indexSeconds).toFixed(0),
    String(queries.length),
    String(empty),
    percentile(times, 50).toFixed(1),
    percentile(times, 95).toFixed(1),
    mb(size_),
    mb(peakRss),
  ];
}

// Libraries first, so their peak RSS is not the OCR models' (those load in the ingest section).
const zh = chineseWords();
const en = englishWords(random(7));
const rows: string[][] = [];
for (const size of SIZES) {
  rows.push(await queryLatency(size, zh, en));
  process.stderr.write(`library of ${size} pages done\n`);
}
process.stdout.write(
  `${formatTable(
    [
      'library pages',
      'index-only pages/s',
      'queries',
      'no result',
      'p50 ms',
      'p95 ms',
      'database MB',
      'peak RSS MB',
    ],
    rows,
  )}\n\n`,
);
const ingestRows = await ingestThroughput();
process.stdout.write(
  `${formatTable(['ingest (store → read → chunk → index)', 'pages', 'pages/min'], ingestRows)}\n`,
);
