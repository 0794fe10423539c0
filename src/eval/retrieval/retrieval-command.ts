import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/config.js';
import { DocSightError } from '../../errors.js';
import { openConfiguredEmbedder } from '../../find/open-configured-embedder.js';
import { openLibrary } from '../../store/library.js';
// The CLI's shared option parser: this file is the `eval retrieval` command, a CLI shell like its neighbours.
import { positiveInteger } from '../../serve/cli/options.js';
import { formatTable } from '../table.js';
import { evaluateRetrieval } from './evaluate-retrieval.js';
import { loadRetrievalDataset, type RetrievalKind } from './known-item-queries.js';

interface RetrievalOptions {
  dataset: string;
  kind?: RetrievalKind;
  json?: boolean;
  limit?: number;
  embeddingModel?: string;
}

const KINDS: RetrievalKind[] = ['sroie', 'funsd', 'docvqa-text'];

/**
 * Adds `docsight eval retrieval` to the `eval` command: ingests a split into a library (temporary,
 * or `--home DIR` to keep and reuse it: OCR of a receipt split takes minutes) and prints
 * Recall@1/5/10 and MRR of its known-item queries.
 */
export function registerEvalRetrievalCommand(evalCommand: Command): Command {
  return evalCommand
    .command('retrieval')
    .description(
      'Known-item retrieval on a split: SROIE (company + date + total → receipt), FUNSD (unique key/value → form), ' +
        'DocVQA-text (page-identifying question → page). Prints Recall@1/5/10 and MRR.',
    )
    .requiredOption('--dataset <dir>', 'split folder, e.g. eval/sroie/dev')
    .option('--kind <kind>', `${KINDS.join(', ')} (default: detected from the folder)`, (raw: string) => {
      if (!KINDS.includes(raw as RetrievalKind)) {
        throw new DocSightError('BAD_REQUEST', `--kind must be one of ${KINDS.join(', ')}, not "${raw}".`);
      }
      return raw as RetrievalKind;
    })
    .option('--json', 'print one JSON object (recall_at_1, recall_at_5, recall_at_10, mrr, queries, …)')
    .option(
      '--limit <n>',
      'use only the first N corpus files (and their queries)',
      positiveInteger('--limit'),
    )
    .option(
      '--embedding-model <name|path>',
      'hybrid retrieval with this embedding model (a catalog name such as qwen3-embedding-0.6b, or a GGUF path); ' +
        'default library.embeddingModel, else BM25 only',
    )
    .action(async (options: RetrievalOptions, command: Command) => {
      // --home (the global option) keeps the library for later runs; by default it is temporary.
      const globals = command.optsWithGlobals<{ config?: string; home?: string }>();
      const dir = resolve(options.dataset);
      const dataset = loadRetrievalDataset(dir, options.kind);
      if (options.limit !== undefined) {
        dataset.corpus = dataset.corpus.slice(0, options.limit);
        const kept = new Set(dataset.corpus.map((f) => f.split('/').pop()));
        dataset.queries = dataset.queries.filter((q) => kept.has(q.target));
      }
      const home = globals.home
        ? resolve(globals.home)
        : mkdtempSync(join(tmpdir(), 'docsight-eval-retrieval-'));
      const config = loadConfig({
        configFile: globals.config,
        flags: {
          home,
          ...(options.embeddingModel ? { library: { embeddingModel: options.embeddingModel } } : {}),
        },
      });
      const embedder = await openConfiguredEmbedder(config);
      const library = openLibrary(home);
      try {
        if (embedder) process.stderr.write(`Hybrid retrieval with ${embedder.model}.\n`);
        process.stderr.write(`Ingesting ${dataset.corpus.length} ${dataset.kind} pages into ${home}...\n`);
        const result = await evaluateRetrieval(library, dataset, {
          config,
          embedder,
          onIngest: (pages, docs, total) => {
            if (process.stderr.isTTY)
              process.stderr.write(`\r  ${pages} pages read, ${docs}/${total} documents`);
            else if (pages % 25 === 0)
              process.stderr.write(`  ${pages} pages read, ${docs}/${total} documents\n`);
          },
        });
        process.stderr.write('\n');
        const info = {
          dataset: dir,
          kind: dataset.kind,
          corpus: dataset.corpus.length,
          skipped_queries: dataset.skipped,
          ingested_pages: result.ingestedPages,
          ingest_seconds: Number(result.ingestSeconds.toFixed(1)),
          query_ms_p50: Number(result.queryMsP50.toFixed(2)),
          query_ms_p95: Number(result.queryMsP95.toFixed(2)),
          failed_documents: result.failedDocuments,
          mode: result.mode,
          embedding_model: embedder?.model ?? null,
          embedded_chunks: result.embeddedChunks,
          embed_seconds: Number(result.embedSeconds.toFixed(1)),
        };
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ ...result.scores, ...info, misses: result.misses })}\n`);
          return;
        }
        const s = result.scores;
        const f = (x: number): string => x.toFixed(3);
        process.stdout.write(
          `${formatTable(
            ['dataset', 'mode', 'queries', 'R@1', 'R@5', 'R@10', 'MRR', 'query p50 ms', 'query p95 ms'],
            [
              [
                dataset.kind,
                result.mode,
                String(s.queries),
                f(s.recall_at_1),
                f(s.recall_at_5),
                f(s.recall_at_10),
                f(s.mrr),
                info.query_ms_p50.toFixed(1),
                info.query_ms_p95.toFixed(1),
              ],
            ],
          )}\n` +
            `corpus ${info.corpus} files (${info.ingested_pages} pages read in ${info.ingest_seconds} s this run)` +
            `${result.failedDocuments.length ? `; failed: ${result.failedDocuments.join(', ')}` : ''}; skipped queries: ${JSON.stringify(dataset.skipped)}\n` +
            (embedder
              ? `embedding model ${embedder.model}: ${info.embedded_chunks} chunks embedded in ${info.embed_seconds} s this run\n`
              : 'BM25 only: pass --embedding-model qwen3-embedding-0.6b (after `docsight models pull qwen3-embedding-0.6b`) for hybrid retrieval\n'),
        );
        for (const m of result.misses.slice(0, 10)) {
          process.stdout.write(`  miss: "${m.query.slice(0, 80)}" → ${m.target}; top: ${m.top.join(', ')}\n`);
        }
      } finally {
        await embedder?.close();
        await library.close();
        if (!globals.home) rmSync(home, { recursive: true, force: true });
      }
    });
}
