import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../config/config.js';
import { openEngineReader } from '../ocr/engine-reader.js';
import type { PageResult } from '../ocr/evaluate.js';
import { writePredictions } from '../write-predictions.js';
import { evaluateZhSet, type ZhEvaluation } from './evaluate-zh.js';
import { writeZhSet } from './generate.js';

export interface ZhRunOptions {
  /** Keep the pages (and predictions/) here; default a temporary folder, removed afterwards. */
  out?: string;
  seed?: number;
  limit?: number;
  /** One line of what is happening (generating, loading models). */
  log?(line: string): void;
  onPage?(result: PageResult, done: number, total: number): void;
}

/**
 * `docsight eval ocr-zh` end to end: generates the seeded Chinese set, reads it with the OCR engine of
 * `config` and scores it.
 *
 * @example
 *   const { result, fonts } = await runZhSet(config, { limit: 5 });
 */
export async function runZhSet(
  config: Config,
  options: ZhRunOptions = {},
): Promise<{ result: ZhEvaluation; fonts: string[]; loadSeconds: number }> {
  const dir = options.out ?? mkdtempSync(join(tmpdir(), 'docsight-zh-'));
  try {
    options.log?.(`Generating the Chinese test set in ${dir}...`);
    const pages = await writeZhSet(dir, { seed: options.seed, limit: options.limit });
    options.log?.(`Loading OCR models (${config.ocr.threads} thread(s))...`);
    const reader = await openEngineReader(config, 'engine');
    try {
      const result = await evaluateZhSet(pages, reader.recognizePage, { onPage: options.onPage });
      if (options.out) writePredictions(join(dir, 'predictions'), pages, result.perPage);
      const fonts = [...new Set(pages.map((p) => p.fontFamily))];
      return { result, fonts, loadSeconds: reader.loadSeconds };
    } finally {
      await reader.close();
    }
  } finally {
    if (!options.out) rmSync(dir, { recursive: true, force: true });
  }
}
