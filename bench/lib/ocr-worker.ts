/**
 * Child process of bench/ocr.ts: loads DocSight's OCR engine with N threads, reads the pages listed in a JSON
 * file and prints one JSON line with the load time, each page's time and text, and this process's peak RSS.
 * A child of its own, so the peak RSS is the engine's alone.
 *
 *   node --import tsx bench/lib/ocr-worker.ts <threads> <pages.json>
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/config.js';
import { openEngineReader } from '../../src/eval/ocr/engine-reader.js';
import { predictedPageText } from '../../src/eval/ocr/evaluate.js';
import type { BenchPage } from './ocr-pages.js';

const threads = Number(process.argv[2]);
const pages = JSON.parse(readFileSync(process.argv[3]!, 'utf8')) as BenchPage[];
const reader = await openEngineReader(loadConfig({ flags: { ocr: { threads } } }), 'geometry');
// One untimed page first: ONNX Runtime allocates its buffers on the first run of each model.
await reader.recognizePage(pages[0]!.imagePath);
const results = [];
for (const page of pages) {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const lines = await reader.recognizePage(page.imagePath);
  const seconds = (performance.now() - started) / 1000;
  // CPU time (user + system, all threads) barely moves when other processes share the cores; wall time does.
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  results.push({ id: page.id, seconds, cpuSeconds, text: predictedPageText(lines) });
  process.stderr.write(`  docsight ${threads}T ${page.id} ${seconds.toFixed(2)} s\n`);
}
await reader.close();
// maxRSS is in kilobytes.
const peakRssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ loadSeconds: reader.loadSeconds, peakRssMb, results })}\n`);
