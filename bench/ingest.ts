/**
 * Ingest throughput with the OCR pool: the same scanned pages ingested into a fresh library with 1, then 2
 * (…) OCR workers, `library.concurrency` set to the same number. Each run is a child process of its own, so
 * its peak RSS and CPU time are its own; the clock runs from starting ingestion until every job is done, model
 * loading included (what a user waits for).
 *
 *   nice npm run bench:ingest -- [--workers 1,2] [--pages 30]
 *
 * Pages: the first `--pages` FUNSD dev pages (by id) from ../shared/eval (or $DOCSIGHT_EVAL_ROOT), one PNG
 * document each. Wall time depends on what else runs on the machine: the load average is printed with the
 * table, and CPU seconds (user + system, all threads) are given because they move much less.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/config.js';
import { loadDataset } from '../src/eval/ocr/datasets.js';
import { formatTable } from '../src/eval/table.js';
import { addToLibrary } from '../src/ingest/add-to-library.js';
import { startLibraryIngestion } from '../src/ingest/start-library-ingestion.js';
import { createLazyOcrEngine } from '../src/read/read-document.js';
import { openLibrary } from '../src/store/library.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const here = dirname(fileURLToPath(import.meta.url));
const evalRoot = process.env.DOCSIGHT_EVAL_ROOT ?? resolve(here, '..', '..', 'shared', 'eval');
const PAGES = Number(arg('pages', '30'));
const WORKERS = arg('workers', '1,2').split(',').map(Number);

interface RunResult {
  workers: number;
  pages: number;
  failed: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  enginesStarted: number;
}

/** One run, in this (child) process: add the pages to a new library, then ingest them all. */
async function ingestOnce(workers: number): Promise<RunResult> {
  const home = mkdtempSync(join(tmpdir(), 'docsight-bench-ingest-'));
  const library = openLibrary(home);
  try {
    const config = loadConfig({
      env: {},
      flags: { home, ocr: { workers }, library: { concurrency: workers } },
    });
    const { pages } = loadDataset(join(evalRoot, 'funsd', 'dev'));
    if (pages.length < PAGES) throw new Error(`only ${pages.length} FUNSD dev pages in ${evalRoot}`);
    const jobIds: number[] = [];
    for (const page of pages.slice(0, PAGES)) {
      const { job } = await addToLibrary(library, { path: page.imagePath });
      jobIds.push(job!.id);
    }
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    // The pool the server and CLI would build from this configuration, held here to count its engines.
    const ocr = createLazyOcrEngine(config.ocr);
    const ingestion = startLibraryIngestion(library, config, { pollMs: 20, ocr });
    let mostEngines = 0;
    ingestion.workers.events.on('progress', () => {
      mostEngines = Math.max(mostEngines, ocr.state().engines);
    });
    await ingestion.workers.settled(jobIds);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    await ingestion.stop();
    await ocr.close();
    let failed = 0;
    for (const id of jobIds) if ((await library.store.getJob(id))?.state !== 'done') failed++;
    return {
      workers,
      pages: PAGES,
      failed,
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      // maxRSS is in kilobytes, for the whole process: the main thread and every OCR worker thread.
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      enginesStarted: mostEngines,
    };
  } finally {
    await library.close();
    rmSync(home, { recursive: true, force: true });
  }
}

const child = process.argv.indexOf('--child');
if (child > 0) {
  const result = await ingestOnce(Number(process.argv[child + 1]));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const load = (): string =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
  const loadBefore = load();
  const results: RunResult[] = [];
  for (const workers of WORKERS) {
    process.stderr.write(
      `ingesting ${PAGES} FUNSD dev pages with ${workers} OCR worker(s)… (load ${load()})\n`,
    );
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--child',
        String(workers),
        '--pages',
        String(PAGES),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (run.status !== 0)
      throw new Error(`the ${workers}-worker run failed (exit ${run.status ?? run.signal})`);
    results.push(JSON.parse(run.stdout.trim().split('\n').at(-1)!) as RunResult);
  }
  const base = results[0]!;
  const perMinute = (r: RunResult): number => (r.pages / r.seconds) * 60;
  const cpu = cpus();
  process.stdout.write(
    `Ingest benchmark, ${new Date().toISOString()}, ${cpu.length} × ${cpu[0]?.model ?? 'CPU'}, ` +
      `load average before ${loadBefore}, after ${load()}, recogniser ${loadConfig({ env: {} }).ocr.precision}\n` +
      formatTable(
        [
          'OCR workers = concurrency',
          'pages',
          'failed',
          'wall s',
          'pages/min',
          'CPU s',
          'CPU s/page',
          'cores busy',
          'peak RSS MB',
          'engines',
          `speed-up vs ${base.workers}`,
        ],
        results.map((r) => [
          String(r.workers),
          String(r.pages),
          String(r.failed),
          r.seconds.toFixed(1),
          perMinute(r).toFixed(1),
          r.cpuSeconds.toFixed(1),
          (r.cpuSeconds / r.pages).toFixed(2),
          (r.cpuSeconds / r.seconds).toFixed(2),
          r.peakRssMb.toFixed(0),
          String(r.enginesStarted),
          (perMinute(r) / perMinute(base)).toFixed(2),
        ]),
      ) +
      '\n\nWall s: from starting ingestion to the last job done, model loading included. CPU s: user + system, ' +
      'all threads of the process; cores busy = CPU s / wall s (at most the core count; ' +
      'less when other processes hold cores). Peak RSS: the whole process (main thread + every OCR worker). Engines: OCR ' +
      'engines the pool had started.\n',
  );
}
