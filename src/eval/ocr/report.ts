import { fixed3, formatTable } from '../table.js';
import type { OcrEvaluation } from './evaluate.js';

/** What was evaluated, printed beside the figures. */
export interface OcrRunInfo {
  dataset: string;
  kind: string;
  threads: number;
  model_load_seconds: number;
  skipped: string[];
}

/**
 * The one JSON object `docsight eval ocr --json` prints: the required keys (precision, recall, f1, char_f1,
 * cer, pages, seconds_per_page) plus the case-insensitive variants, character precision/recall, raw counts
 * and the run's settings.
 */
export function ocrReportJson(e: OcrEvaluation, info: OcrRunInfo): Record<string, unknown> {
  return {
    precision: e.precision,
    recall: e.recall,
    f1: e.f1,
    char_f1: e.char_f1,
    cer: e.cer,
    pages: e.pages,
    seconds_per_page: e.seconds_per_page,
    cpu_seconds_per_page: e.cpu_seconds_per_page,
    precision_ci: e.precision_ci,
    recall_ci: e.recall_ci,
    f1_ci: e.f1_ci,
    f1_punct_ci: e.f1_punct_ci,
    char_f1_ci: e.char_f1_ci,
    cer_ci: e.cer_ci,
    cer_boxes: e.cer_boxes,
    cer_boxes_ci: e.cer_boxes_ci,
    char_precision: e.char_precision,
    char_recall: e.char_recall,
    counts: e.counts,
    ...info,
  };
}

/** The human-readable table of `docsight eval ocr`. */
export function formatOcrReport(e: OcrEvaluation, info: OcrRunInfo): string {
  const rows: string[][] = [
    ['pages', String(e.pages)],
    ['word precision', fixed3(e.precision)],
    ['word recall', fixed3(e.recall)],
    ['word F1', fixed3(e.f1)],
    ['word F1, case-insensitive', fixed3(e.f1_ci)],
    ['token F1, punctuation split, case-insensitive', fixed3(e.f1_punct_ci)],
    ['char F1', fixed3(e.char_f1)],
    ['char F1, case-insensitive', fixed3(e.char_f1_ci)],
    ['CER', fixed3(e.cer)],
    ['CER, case-insensitive', fixed3(e.cer_ci)],
    ['CER, box-matched', e.cer_boxes === null ? 'n/a' : fixed3(e.cer_boxes)],
    ['CER, box-matched, case-insensitive', e.cer_boxes_ci === null ? 'n/a' : fixed3(e.cer_boxes_ci)],
    ['seconds per page', e.seconds_per_page.toFixed(2)],
    ['CPU seconds per page', e.cpu_seconds_per_page.toFixed(2)],
    ['model load, s', info.model_load_seconds.toFixed(2)],
  ];
  const head = `OCR on ${info.dataset} (${info.kind}, ${info.threads} thread${info.threads === 1 ? '' : 's'})`;
  const notes = info.skipped.length > 0 ? `\nimages without GT, not scored: ${info.skipped.join(', ')}` : '';
  return `${head}\n${formatTable(['metric', 'value'], rows)}${notes}`;
}
