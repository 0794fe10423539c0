/**
 * The OCR pool alone, without ingestion: decodes the first `pages` FUNSD dev pages, loads `workers` engines
 * (untimed), then recognises every page through the pool at once and prints wall time, pages/min, CPU seconds
 * and cores busy (CPU s / wall s). Separates the pool's scaling from the ingestion pipeline's (bench/ingest.ts).
 *
 *   nice node --import tsx bench/lib/ocr-pool-only.ts <workers> [pages=16]
 */
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { loadConfig } from '../../src/config/config.js';
import { loadDataset } from '../../src/eval/ocr/datasets.js';
import { createLazyOcrEngine } from '../../src/read/read-document.js';
import type { RawImage } from '../../src/read/types.js';

const workers = Number(process.argv[2] ?? '1');
const count = Number(process.argv[3] ?? '16');
const evalRoot =
  process.env.DOCSIGHT_EVAL_ROOT ?? resolve(import.meta.dirname, '..', '..', '..', 'shared', 'eval');
const { pages } = loadDataset(join(evalRoot, 'funsd', 'dev'));
const images: RawImage[] = [];
for (const page of pages.slice(0, count)) {
  const { data, info } = await sharp(page.imagePath)
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  images.push({ data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 });
}
const ocr = createLazyOcrEngine(loadConfig({ env: {}, flags: { home: '/tmp', ocr: { workers } } }).ocr);
// Every engine loads before the clock starts: `workers` pages at once make the pool start them all.
await Promise.all(images.slice(0, workers).map((image) => ocr.recognize(image)));
const cpuBefore = process.cpuUsage();
const started = performance.now();
await Promise.all(images.map((image) => ocr.recognize(image)));
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpuBefore);
const cpu = (used.user + used.system) / 1e6;
process.stdout.write(
  `workers ${workers}: ${images.length} pages, wall ${seconds.toFixed(1)} s, ` +
    `${((images.length / seconds) * 60).toFixed(1)} pages/min, CPU ${cpu.toFixed(1)} s, ` +
    `cores busy ${(cpu / seconds).toFixed(2)}, engines ${ocr.state().engines}\n`,
);
await ocr.close();
