import {
  evaluateOcr,
  type EvaluateOptions,
  type OcrEvaluation,
  type PageResult,
  type RecognizePage,
  summarizePages,
} from '../ocr/evaluate.js';
import type { Degradation } from './degrade.js';
import type { WrittenZhPage } from './generate.js';

/** Character-level figures for one group of pages. */
export interface ZhScores {
  pages: number;
  /** max(0, 1 − CER); CER as defined in ../ocr/score.ts (non-whitespace characters, reading order). */
  char_accuracy: number;
  char_f1: number;
  cer: number;
  seconds_per_page: number;
  cpu_seconds_per_page: number;
}

export interface ZhEvaluation {
  overall: ZhScores;
  byDegradation: Partial<Record<Degradation, ZhScores>>;
  /** Each page's counts and predicted text. */
  perPage: PageResult[];
}

function toZhScores(e: OcrEvaluation): ZhScores {
  return {
    pages: e.pages,
    char_accuracy: Math.max(0, 1 - e.cer),
    char_f1: e.char_f1,
    cer: e.cer,
    seconds_per_page: e.seconds_per_page,
    cpu_seconds_per_page: e.cpu_seconds_per_page,
  };
}

/**
 * Reads every generated page and reports character accuracy and char F1 per degradation and overall.
 * Word figures are left out: Chinese is written without spaces, so whitespace tokens say nothing.
 */
export async function evaluateZhSet(
  pages: readonly WrittenZhPage[],
  recognizePage: RecognizePage,
  options: EvaluateOptions = {},
): Promise<ZhEvaluation> {
  const all = await evaluateOcr(pages, recognizePage, options);
  const degradationOf = new Map(pages.map((p) => [p.id, p.degradation]));
  const byDegradation: Partial<Record<Degradation, ZhScores>> = {};
  for (const degradation of new Set(pages.map((p) => p.degradation))) {
    const group = all.perPage.filter((r) => degradationOf.get(r.id) === degradation);
    byDegradation[degradation] = toZhScores(summarizePages(group));
  }
  return { overall: toZhScores(all), byDegradation, perPage: all.perPage };
}
