import type { Quad } from '../../read/types.js';
import { boxMatchedEdits } from './box-match.js';
import { type BoxedText, pageText } from './reading-order.js';
import { addCounts, countPage, type OcrCounts, type OcrScores, scoreCounts } from './score.js';

/** A recognised line: plain text in the engine's reading order, or text with its box (then put in order by geometry). */
export type RecognizedLine = string | { text: string; box: Quad };

/**
 * Reads one page image and returns its lines. Any engine fits: the evaluator only needs text, so scoring is
 * independent of the OCR engine and testable alone.
 */
export type RecognizePage = (imagePath: string) => Promise<RecognizedLine[]>;

/** A page to score: its image, its GT text in reading order and, when known, the GT pieces with boxes. */
export interface EvalPage {
  id: string;
  imagePath: string;
  text: string;
  items?: BoxedText[];
}

export interface PageResult {
  id: string;
  seconds: number;
  /** User + system CPU seconds of this process while the page was read (all threads). */
  cpuSeconds?: number;
  counts: OcrCounts;
  predicted: string;
}

export interface OcrEvaluation extends OcrScores {
  pages: number;
  /** Wall-clock seconds of recognizePage per page (decode + OCR), mean over pages. */
  seconds_per_page: number;
  /**
   * CPU seconds per page (user + system, all threads of this process). On a machine shared with other work,
   * wall time grows with the load; CPU time much less, so it is the steadier speed figure.
   */
  cpu_seconds_per_page: number;
  counts: OcrCounts;
  perPage: PageResult[];
}

/**
 * The predicted page text: boxed lines are put into reading order by the same geometry as the GT; plain
 * strings keep the engine's order.
 */
export function predictedPageText(lines: readonly RecognizedLine[]): string {
  if (lines.length > 0 && lines.every((l) => typeof l !== 'string')) {
    return pageText(lines as { text: string; box: Quad }[]);
  }
  return lines.map((l) => (typeof l === 'string' ? l : l.text)).join('\n');
}

/** Totals and ratios from page results (used for the whole split and for subsets such as degradations). */
export function summarizePages(perPage: PageResult[]): OcrEvaluation {
  const counts = addCounts(...perPage.map((p) => p.counts));
  const seconds = perPage.reduce((sum, p) => sum + p.seconds, 0);
  const cpuSeconds = perPage.reduce((sum, p) => sum + (p.cpuSeconds ?? 0), 0);
  return {
    ...scoreCounts(counts),
    pages: perPage.length,
    seconds_per_page: perPage.length === 0 ? 0 : seconds / perPage.length,
    cpu_seconds_per_page: perPage.length === 0 ? 0 : cpuSeconds / perPage.length,
    counts,
    perPage,
  };
}

export interface EvaluateOptions {
  /** Called after each page, e.g. to print progress on stderr. */
  onPage?: (result: PageResult, done: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * Runs `recognizePage` on every page, one after another, and scores the results (see score.ts for the metrics).
 *
 * @example
 *   const report = await evaluateOcr(loadDataset(dir).pages, async (path) => myEngine.lines(path));
 *   report.f1; report.cer; report.seconds_per_page;
 */
export async function evaluateOcr(
  pages: readonly EvalPage[],
  recognizePage: RecognizePage,
  options: EvaluateOptions = {},
): Promise<OcrEvaluation> {
  const perPage: PageResult[] = [];
  for (const page of pages) {
    options.signal?.throwIfAborted();
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const lines = await recognizePage(page.imagePath);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const predicted = predictedPageText(lines);
    const counts = countPage(page.text, predicted);
    const boxed = lines.filter((l): l is BoxedText => typeof l !== 'string');
    if (page.items && boxed.length === lines.length) {
      const box = boxMatchedEdits(page.items, boxed);
      Object.assign(counts, {
        boxPages: 1,
        boxGtChars: box.gtChars,
        boxEdits: box.edits,
        boxEditsCi: box.editsCi,
      });
    }
    const result: PageResult = { id: page.id, seconds, cpuSeconds, counts, predicted };
    perPage.push(result);
    options.onPage?.(result, perPage.length, pages.length);
  }
  return summarizePages(perPage);
}
