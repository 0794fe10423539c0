import type { Command } from 'commander';
import { MAX_SEARCH_K, search } from '../../app/search.js';
import { DocSightError } from '../../errors.js';
import type { SearchResponse } from '../../find/search-library.js';
import { withDocSight } from './command-config.js';
import { collect, positiveInteger } from './options.js';

interface SearchOptions {
  k: number;
  json?: boolean;
  collection?: string;
  document?: number;
  type?: string;
  tag?: string[];
  since?: number;
  until?: number;
}

function date(flag: string) {
  return (raw: string): number => {
    const t = Date.parse(raw);
    if (Number.isNaN(t))
      throw new DocSightError('BAD_REQUEST', `${flag} must be a date such as 2024-05-01, not "${raw}".`);
    return t;
  };
}

/** Results as lines: rank, document, page, score, then the snippet with matches in [brackets]. */
function resultLines(response: SearchResponse): string {
  if (response.results.length === 0) return 'No matches.\n';
  const lines = response.results.map(
    (r, i) =>
      `${String(i + 1).padStart(3)}. ${r.documentName}  p.${r.page}  (doc ${r.documentId}, score ${r.score.toFixed(3)})\n     ${r.snippet}`,
  );
  return `${lines.join('\n')}\n`;
}

/** `docsight search "query"`: full-text (and, with an embedding model, hybrid) search of the library. */
export function registerSearchCommand(program: Command): Command {
  return program
    .command('search')
    .description('Search the library (Chinese and English); prints pages with highlighted snippets.')
    .argument('<query>', 'words, numbers, dates or amounts as written')
    .option('--k <n>', 'number of results', positiveInteger('--k', { max: MAX_SEARCH_K }), 10)
    .option('--json', 'print JSON with scores and the boxes of matching lines')
    .option('--collection <name>', 'only this collection')
    .option('--document <id>', 'only this document', positiveInteger('--document'))
    .option('--type <mime>', 'only this MIME type, or a prefix such as image/')
    .option('--tag <tag>', 'only documents with this tag (repeatable)', collect)
    .option('--since <date>', 'only documents ingested on or after this date', date('--since'))
    .option('--until <date>', 'only documents ingested before this date', date('--until'))
    .action((query: string, options: SearchOptions, command: Command) =>
      withDocSight(command, async (app) => {
        const filters = {
          collection: options.collection,
          documentId: options.document,
          type: options.type,
          tags: options.tag,
          ingestedFrom: options.since,
          ingestedTo: options.until,
        };
        const response = await search(app, { query, k: options.k, filters });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(response, null, 2)}\n`);
          return;
        }
        // The mode always shows: a BM25-only result says why and how to get hybrid search.
        const mode = response.mode === 'hybrid' ? 'Hybrid search: BM25 + dense.' : 'BM25 only.';
        process.stderr.write(`(${response.note ?? mode})\n`);
        process.stdout.write(resultLines(response));
      }),
    );
}
