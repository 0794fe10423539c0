import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** One page read by the `tesseract` command. */
export interface TesseractRun {
  /** Wall time of the whole command: process start, model load and recognition, as a user pays it. */
  seconds: number;
  text: string;
  /** User + system CPU seconds from /usr/bin/time, when that is installed. */
  cpuSeconds?: number;
  /** Peak RSS from /usr/bin/time, when that is installed. */
  peakRssMb?: number;
}

const TIME = '/usr/bin/time';

/** The installed Tesseract version line, or undefined when `tesseract` (with English data) is absent. */
export function tesseractVersion(): string | undefined {
  const version = spawnSync('tesseract', ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) return undefined;
  const langs = spawnSync('tesseract', ['--list-langs'], { encoding: 'utf8' });
  if (!/^eng$/m.test(langs.stdout ?? '')) return undefined;
  return (version.stdout || version.stderr).split('\n')[0]?.trim();
}

/**
 * Reads a page with `tesseract <image> stdout -l eng --psm 3`, one thread (OMP_THREAD_LIMIT=1, as FACTS.md
 * advises), under /usr/bin/time for the peak RSS when available.
 */
export function runTesseract(imagePath: string): TesseractRun {
  const args = [imagePath, 'stdout', '-l', 'eng', '--psm', '3'];
  const withTime = existsSync(TIME);
  const started = performance.now();
  const run = withTime
    ? spawnSync(TIME, ['-f', 'peak-rss-kb=%M cpu-s=%U+%S', 'tesseract', ...args], {
        encoding: 'utf8',
        env: { ...process.env, OMP_THREAD_LIMIT: '1' },
        maxBuffer: 64 * 1024 * 1024,
      })
    : spawnSync('tesseract', args, { encoding: 'utf8', env: { ...process.env, OMP_THREAD_LIMIT: '1' } });
  const seconds = (performance.now() - started) / 1000;
  if (run.error || run.status !== 0) {
    throw new Error(`tesseract failed on ${imagePath}: ${run.error?.message ?? run.stderr}`);
  }
  const stats = /peak-rss-kb=(\d+) cpu-s=([\d.]+)\+([\d.]+)/.exec(run.stderr ?? '');
  return {
    seconds,
    text: run.stdout,
    cpuSeconds: stats ? Number(stats[2]) + Number(stats[3]) : undefined,
    peakRssMb: stats ? Number(stats[1]) / 1024 : undefined,
  };
}
