import type { Command } from 'commander';
import { DocSightError } from '../../errors.js';
import { openConfiguredEmbedder } from '../../find/open-configured-embedder.js';
import { searchLibrary } from '../../find/search-library.js';
import { needsReindex } from '../../ingest/reindex-library.js';
import type { SearchFilters } from '../../store/library-store.js';
import { openLibrary } from '../../store/library.js';
import { DEFAULT_EMBEDDING_MODEL } from '../../models/catalog.js';
import { configFromGlobals } from './command-config.js';

interface SearchOptions {
  k: string;
  json?: boolean;
  collection?: string;
  document?: string;
  type?: string;
  tag?: string[];
  since?: string;
  until?: string;
}

function parseDate(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const t = Date.parse(raw);
  if (Number.isNaN(t))
    throw new DocSightError('BAD_REQUEST', `${flag} must be a date such as 2024-05-01, not "${raw}".`);
  return t;
}

/** `docsight search "query"`: full-text (and, with an embedding model, hybrid) search of the library. */
export function registerSearchCommand(program: Command): Command {
  return program
    .command('search')
    .description('Search the library (Chinese and English); prints pages with highlighted snippets.')
    .argument('<query>', 'words, numbers, dates or amounts as written')
    .option('--k <n>', 'number of results', '10')
    .option('--json', 'print JSON with scores and the boxes of matching lines')
    .option('--collection <name>', 'only this collection')
    .option('--document <id>', 'only this document')
    .option('--type <mime>', 'only this MIME type, or a prefix such as image/')
    .option('--tag <tag>', 'only documents with this tag (repeatable)', (v: string, all: string[] = []) => [
      ...all,
      v,
    ])
    .option('--since <date>', 'only documents ingested on or after this date')
    .option('--until <date>', 'only documents ingested before this date')
    .action(async (query: string, options: SearchOptions, command: Command) => {
      const k = Number(options.k);
      if (!Number.isInteger(k) || k < 1 || k > 1000) {
        throw new DocSightError(
          'BAD_REQUEST',
          `--k must be a whole number from 1 to 1000, not "${options.k}".`,
        );
      }
      const filters: SearchFilters = {
        collection: options.collection,
        documentId: options.document === undefined ? undefined : Number(options.document),
        type: options.type,
        tags: options.tag,
        ingestedFrom: parseDate('--since', options.since),
        ingestedTo: parseDate('--until', options.until),
      };
      if (filters.documentId !== undefined && !Number.isInteger(filters.documentId)) {
        throw new DocSightError('BAD_REQUEST', `--document takes a document id, not "${options.document}".`);
      }
      const config = configFromGlobals(command);
      const library = openLibrary(config.home);
      try {
        // With library.embeddingModel: hybrid (BM25 + dense, fused by rank); without: BM25 only.
        const embedder = await openConfiguredEmbedder(config);
        let response;
        try {
          response = await searchLibrary(library.store, query, { k, filters, embedder });
        } finally {
          await embedder?.close();
        }
        if (!embedder) {
          response.note =
            `${response.note ?? ''} For hybrid (dense + BM25) search: \`docsight models pull ${DEFAULT_EMBEDDING_MODEL}\`, ` +
            `set "library": {"embeddingModel": "${DEFAULT_EMBEDDING_MODEL}"} in ${config.home}/config.json ` +
            '(or DOCSIGHT_EMBEDDING_MODEL), then `docsight docs reindex`.';
          response.note = response.note.trim();
        } else if (response.mode === 'bm25' && /no vectors/.test(response.note ?? '')) {
          response.note = `${response.note} Run \`docsight docs reindex\` to embed it.`;
        }
        if (await needsReindex(library)) {
          response.note =
            `${response.note ?? ''} The index was built by an older version: run \`docsight docs reindex\`.`.trim();
        }
        if (options.json) {
          process.stdout.write(`${JSON.stringify(response, null, 2)}\n`);
          return;
        }
        // The mode always shows: a BM25-only result says why and how to get hybrid search.
        const mode = response.mode === 'hybrid' ? 'Hybrid search: BM25 + dense.' : 'BM25 only.';
        process.stderr.write(`(${response.note ?? mode})\n`);
        if (response.results.length === 0) {
          process.stdout.write('No matches.\n');
          return;
        }
        const lines = response.results.map(
          (r, i) =>
            `${String(i + 1).padStart(3)}. ${r.documentName}  p.${r.page}  (doc ${r.documentId}, score ${r.score.toFixed(3)})\n     ${r.snippet}`,
        );
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        await library.close();
      }
    });
}
