import { resolve } from 'node:path';
import type { Command } from 'commander';
import { configFromGlobals } from './command-config.js';
import { DocSightError } from '../../errors.js';
import { loadDataset, type DatasetKind } from '../../eval/ocr/datasets.js';
import { openEngineReader } from '../../eval/ocr/engine-reader.js';
import { evaluateOcr, type PageResult } from '../../eval/ocr/evaluate.js';
import { formatOcrReport, ocrReportJson } from '../../eval/ocr/report.js';
import { scoreCounts } from '../../eval/ocr/score.js';
import { registerEvalRetrievalCommand } from '../../eval/retrieval/retrieval-command.js';
import { runZhSet } from '../../eval/zh/run-zh-set.js';
import { formatZhReport } from '../../eval/zh/report.js';
import { writePredictions } from '../../eval/write-predictions.js';
import { positiveInteger } from './options.js';

function datasetKind(raw: string): DatasetKind {
  if (raw !== 'sroie' && raw !== 'funsd') {
    throw new DocSightError('BAD_REQUEST', `--kind must be sroie or funsd, not "${raw}".`);
  }
  return raw;
}

/** The configuration from the global flags (--home, --config), with --threads applied to OCR. */
function configFor(command: Command, threads: number | undefined) {
  return configFromGlobals(command, threads === undefined ? {} : { ocr: { threads } });
}

/** Prints one line per page on stderr: word F1 for word-spaced text, char F1 for Chinese. */
function progress(measure: 'words' | 'chars') {
  return (result: PageResult, done: number, total: number): void => {
    const s = scoreCounts(result.counts);
    const figure = measure === 'words' ? `F1 ${s.f1.toFixed(3)}` : `char F1 ${s.char_f1.toFixed(3)}`;
    process.stderr.write(
      `[${done}/${total}] ${result.id}  ${result.seconds.toFixed(2)} s  ${figure}  CER ${s.cer.toFixed(3)}\n`,
    );
  };
}

interface OcrOptions {
  dataset: string;
  kind?: DatasetKind;
  json?: boolean;
  limit?: number;
  threads?: number;
  predictions?: string;
}

interface OcrZhOptions {
  out?: string;
  limit?: number;
  json?: boolean;
  seed?: number;
  threads?: number;
}

/**
 * Registers `docsight eval` with its sub-commands `ocr` and `ocr-zh`, and returns the `eval` command so
 * other evaluations attach to it with one line, e.g. in main.ts:
 *
 * @example
 *   const evalCommand = registerEvalCommand(program);
 *   registerEvalRetrievalCommand(evalCommand); // adds `docsight eval retrieval`
 */
export function registerEvalCommand(program: Command): Command {
  const evalCommand = program
    .command('eval')
    .description('Accuracy evaluations that print tables (progress on stderr).');

  evalCommand
    .command('ocr')
    .description(
      'OCR accuracy and speed on a dataset split laid out as images/ + gt/ (SROIE box.csv or FUNSD json): ' +
        'word precision/recall/F1, char F1, CER, seconds per page.',
    )
    .requiredOption('--dataset <dir>', 'split folder, e.g. eval/sroie/dev')
    .option('--kind <kind>', 'sroie or funsd (default: detected from gt/)', datasetKind)
    .option('--json', 'print one JSON object instead of the table')
    .option('--limit <n>', 'score only the first N pages (sorted by id)', positiveInteger('--limit'))
    .option('--threads <n>', 'intra-op threads for the OCR models', positiveInteger('--threads'))
    .option(
      '--predictions <dir>',
      "also write each page's GT and predicted text there (<id>.gt.txt, <id>.pred.txt)",
    )
    .action(async (options: OcrOptions, command: Command) => {
      const config = configFor(command, options.threads);
      const dataset = resolve(options.dataset);
      const loaded = loadDataset(dataset, options.kind);
      const pages = options.limit === undefined ? loaded.pages : loaded.pages.slice(0, options.limit);
      process.stderr.write(`Loading OCR models (${config.ocr.threads} thread(s))...\n`);
      const reader = await openEngineReader(config, 'geometry');
      try {
        const evaluation = await evaluateOcr(pages, reader.recognizePage, { onPage: progress('words') });
        if (options.predictions) writePredictions(resolve(options.predictions), pages, evaluation.perPage);
        const info = {
          dataset,
          kind: loaded.kind,
          threads: config.ocr.threads,
          model_load_seconds: reader.loadSeconds,
          skipped: loaded.skipped,
        };
        process.stdout.write(
          options.json
            ? `${JSON.stringify(ocrReportJson(evaluation, info))}\n`
            : `${formatOcrReport(evaluation, info)}\n`,
        );
      } finally {
        await reader.close();
      }
    });

  evalCommand
    .command('ocr-zh')
    .description(
      'Generates the seeded Chinese test set (business text, several fonts and sizes; blur, noise, skew, JPEG, ' +
        'low contrast) and reports character accuracy (1 − CER) and char F1 per degradation and overall.',
    )
    .option(
      '--out <dir>',
      'keep the generated pages (and predictions/<id>.gt.txt, <id>.pred.txt) here (default: a temporary folder, removed afterwards)',
    )
    .option('--json', 'print one JSON object instead of the table')
    .option('--seed <n>', 'seed of the generator', positiveInteger('--seed'))
    .option(
      '--limit <n>',
      'generate and read only the first N pages (a quick check)',
      positiveInteger('--limit'),
    )
    .option('--threads <n>', 'intra-op threads for the OCR models', positiveInteger('--threads'))
    .action(async (options: OcrZhOptions, command: Command) => {
      const config = configFor(command, options.threads);
      const { result, fonts, loadSeconds } = await runZhSet(config, {
        ...options,
        out: options.out ? resolve(options.out) : undefined,
        log: (line) => process.stderr.write(`${line}\n`),
        onPage: progress('chars'),
      });
      const { threads } = config.ocr;
      process.stdout.write(
        options.json
          ? `${JSON.stringify({ ...result.overall, by_degradation: result.byDegradation, fonts, seed: options.seed ?? null, threads, model_load_seconds: loadSeconds })}\n`
          : `${formatZhReport(result, { fonts, threads })}\n`,
      );
    });

  registerEvalRetrievalCommand(evalCommand);
  return evalCommand;
}
