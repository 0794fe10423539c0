/**
 * OCR benchmark: seconds per page at 1 and 2 threads, model load time and peak RSS of DocSight's engine, side
 * by side with Debian's `tesseract` (eng, one thread, psm 3) on the same pages, with word F1 for both.
 *
 *   npm run bench:ocr
 *
 * Pages: the first 3 SROIE and 3 FUNSD dev pages from ../shared/eval (or $DOCSIGHT_EVAL_ROOT) when present,
 * plus two synthetic 300-dpi A4 pages (English letter, Chinese contract and notice). Each engine runs in a
 * child process so its peak RSS is its own. Times depend on what else runs on the machine: the load average
 * is printed with the table.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadConfig } from '../src/config/config.js';
import { addCounts, countPage, scoreCounts } from '../src/eval/ocr/score.js';
import { fixed3, formatTable } from '../src/eval/table.js';
import { type BenchPage, benchPages } from './lib/ocr-pages.js';
import { runTesseract, tesseractVersion } from './lib/tesseract.js';

interface EngineRun {
  loadSeconds: number;
  peakRssMb: number;
  results: { id: string; seconds: number; cpuSeconds: number; text: string }[];
}

const here = dirname(fileURLToPath(import.meta.url));
const evalRoot = process.env.DOCSIGHT_EVAL_ROOT ?? resolve(here, '..', '..', 'shared', 'eval');
const scratch = mkdtempSync(join(tmpdir(), 'docsight-bench-ocr-'));

function runDocSight(threads: number, pagesFile: string): EngineRun {
  process.stderr.write(`DocSight OCR, ${threads} thread(s)...\n`);
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(here, 'lib', 'ocr-worker.ts'), String(threads), pagesFile],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 },
  );
  if (child.status !== 0) throw new Error(`the OCR worker failed (exit ${child.status ?? child.signal})`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as EngineRun;
}

/** Sums scores and times over the pages of one set. */
function summarize(pages: BenchPage[], run: EngineTimes) {
  const counts = addCounts(...pages.map((p) => countPage(p.text, run.texts.get(p.id) ?? '')));
  const mean = (m: Map<string, number>) =>
    pages.reduce((sum, p) => sum + (m.get(p.id) ?? 0), 0) / pages.length;
  return { ...scoreCounts(counts), secondsPerPage: mean(run.seconds), cpuPerPage: mean(run.cpuSeconds) };
}

interface EngineTimes {
  texts: Map<string, string>;
  seconds: Map<string, number>;
  cpuSeconds: Map<string, number>;
}

try {
  const pages = await benchPages(evalRoot, scratch);
  const pagesFile = join(scratch, 'pages.json');
  writeFileSync(pagesFile, JSON.stringify(pages));
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  process.stderr.write(`${pages.length} pages; load average before: ${load}\n`);

  const one = runDocSight(1, pagesFile);
  const two = runDocSight(2, pagesFile);

  const tesseract = tesseractVersion();
  let tess: (EngineTimes & { load: number; rss: number }) | undefined;
  if (tesseract) {
    process.stderr.write(`${tesseract}, eng, 1 thread...\n`);
    // Tesseract loads its model on every run: its "load time" is a run on a blank page.
    const blank = join(scratch, 'blank.png');
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ffffff' } })
      .png()
      .toFile(blank);
    const blankRun = runTesseract(blank);
    const texts = new Map<string, string>();
    const seconds = new Map<string, number>();
    const cpuSeconds = new Map<string, number>();
    let rss = blankRun.peakRssMb ?? 0;
    for (const page of pages) {
      const run = runTesseract(page.imagePath);
      texts.set(page.id, run.text);
      seconds.set(page.id, run.seconds);
      cpuSeconds.set(page.id, run.cpuSeconds ?? Number.NaN);
      rss = Math.max(rss, run.peakRssMb ?? 0);
      process.stderr.write(`  tesseract ${page.id} ${run.seconds.toFixed(2)} s\n`);
    }
    tess = { load: blankRun.seconds, rss, texts, seconds, cpuSeconds };
  }

  const asMaps = (run: EngineRun): EngineTimes => ({
    texts: new Map(run.results.map((r) => [r.id, r.text])),
    seconds: new Map(run.results.map((r) => [r.id, r.seconds])),
    cpuSeconds: new Map(run.results.map((r) => [r.id, r.cpuSeconds])),
  });
  const d1 = asMaps(one);
  const d2 = asMaps(two);
  const sets = [...new Set(pages.map((p) => p.set)), 'all'];
  const rows = sets.map((set) => {
    const group = set === 'all' ? pages : pages.filter((p) => p.set === set);
    const a = summarize(group, d1);
    const b = summarize(group, d2);
    const t = tess ? summarize(group, tess) : undefined;
    return [
      set,
      String(group.length),
      a.secondsPerPage.toFixed(2),
      a.cpuPerPage.toFixed(2),
      b.secondsPerPage.toFixed(2),
      b.cpuPerPage.toFixed(2),
      (a.secondsPerPage / b.secondsPerPage).toFixed(2),
      fixed3(a.f1),
      fixed3(a.char_f1_ci),
      t ? t.secondsPerPage.toFixed(2) : 'n/a',
      t ? t.cpuPerPage.toFixed(2) : 'n/a',
      t ? fixed3(t.f1) : 'n/a',
      t ? fixed3(t.char_f1_ci) : 'n/a',
      t ? (t.secondsPerPage / a.secondsPerPage).toFixed(2) : 'n/a',
    ];
  });

  const cpu = cpus();
  process.stdout.write(
    `OCR benchmark, ${new Date().toISOString()}, ${cpu.length} × ${cpu[0]?.model ?? 'CPU'}, load average ${load}, ` +
      // The workers load the same configuration (DOCSIGHT_OCR_PRECISION=float|int8 picks the recogniser).
      `recogniser ${loadConfig().ocr.precision}\n` +
      formatTable(
        [
          'pages',
          'n',
          'DocSight 1T s/page',
          '1T CPU s/page',
          '2T s/page',
          '2T CPU s/page',
          '2T speed-up',
          'word F1',
          'char F1 (ci)',
          'Tesseract s/page',
          'CPU s/page',
          'word F1',
          'char F1 (ci)',
          'Tesseract / DocSight 1T time',
        ],
        rows,
      ) +
      '\n\n' +
      formatTable(
        ['engine', 'model load, s', 'peak RSS, MB'],
        [
          ['DocSight PP-OCRv4, 1 thread', one.loadSeconds.toFixed(2), one.peakRssMb.toFixed(0)],
          ['DocSight PP-OCRv4, 2 threads', two.loadSeconds.toFixed(2), two.peakRssMb.toFixed(0)],
          tess
            ? [`${tesseract} eng, 1 thread`, `${tess.load.toFixed(2)} (blank page)`, tess.rss.toFixed(0)]
            : ['tesseract', 'not installed: apt-get install tesseract-ocr tesseract-ocr-eng', ''],
        ],
      ) +
      '\n\n' +
      'Seconds per page: wall time per page after one untimed warm-up page (DocSight: decode + OCR in-process; ' +
      'Tesseract: the whole command, model load included); CPU s/page: user + system CPU time, which other ' +
      'load on the machine disturbs less than wall time. Word F1: case-sensitive bag of words; char F1 (ci): ' +
      'non-whitespace characters, case-insensitive (see src/eval/ocr/score.ts). Tesseract reads English only.\n',
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
