import type { Command } from 'commander';
import {
  deleteDocuments,
  getDocument,
  listDocuments,
  reindex,
  reingestDocument,
  type DocumentWithPages,
} from '../../app/documents.js';
import type { DocumentRecord } from '../../store/library-store.js';
import { withDocSight } from './command-config.js';
import { positiveInteger } from './options.js';
import { printable } from './printable.js';

const documentId = positiveInteger('A document id', { hint: 'See `docsight docs list`.' });

function docLine(d: DocumentRecord): string {
  const when = new Date(d.createdAt).toISOString().slice(0, 16).replace('T', ' ');
  const tags = d.tags.length ? `  #${d.tags.join(' #')}` : '';
  // Names, collections and tags are data from uploads: control characters are shown, never obeyed.
  return printable(
    `${String(d.id).padStart(5)}  ${d.status.padEnd(7)}  ${String(d.pageCount ?? '-').padStart(4)} p  ${when}  ${d.collection ?? '-'}  ${d.name}${tags}`,
  );
}

function showText(doc: DocumentWithPages): string {
  const out = [docLine(doc), `sha256 ${doc.sha256}  ${doc.mime}  ${doc.sizeBytes} bytes`];
  if (doc.error) out.push(`error: ${printable(doc.error)}`);
  for (const p of doc.pages) {
    out.push('', `--- page ${p.page} (${p.source}, ${p.width}×${p.height}, ${p.lines.length} lines) ---`);
    out.push(...p.lines.map((l) => printable(l.text)));
  }
  return `${out.join('\n')}\n`;
}

/** `docsight docs list|show|rm|reingest|reindex`: the documents in the library. */
export function registerDocsCommand(program: Command): Command {
  const docs = program
    .command('docs')
    .description('Documents in the library: list, show, remove, read again, re-index.');
  docs
    .command('list', { isDefault: true })
    .description('List documents: id, status, pages, ingested, collection, name, tags.')
    .option('--collection <name>', 'only this collection')
    .option('--json', 'print JSON')
    .action((options: { collection?: string; json?: boolean }, command: Command) =>
      withDocSight(command, async (app) => {
        const list = await listDocuments(app, { collection: options.collection });
        if (options.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        else
          process.stdout.write(list.length ? `${list.map(docLine).join('\n')}\n` : 'The library is empty.\n');
      }),
    );
  docs
    .command('show')
    .description("A document's details and its pages' text.")
    .argument('<id>', 'document id', documentId)
    .option('--json', 'print JSON (with every line and box)')
    .action((id: number, options: { json?: boolean }, command: Command) =>
      withDocSight(command, async (app) => {
        const doc = await getDocument(app, id);
        process.stdout.write(options.json ? `${JSON.stringify(doc, null, 2)}\n` : showText(doc));
      }),
    );
  docs
    .command('rm')
    .description('Remove documents with their pages, index entries and files.')
    .argument('<id...>', 'document ids', (v: string, all: number[] = []) => [...all, documentId(v)])
    .action((ids: number[], _options: object, command: Command) =>
      withDocSight(command, async (app) => {
        const { removed, missing } = await deleteDocuments(app, ids);
        for (const id of ids) {
          if (removed.includes(id)) process.stdout.write(`Removed document ${id}.\n`);
          else process.stderr.write(`No document ${id}.\n`);
        }
        if (missing.length > 0) process.exitCode = 1;
      }),
    );
  docs
    .command('reingest')
    .description(
      'Read documents again from their originals (old pages are removed; then `docsight jobs run`).',
    )
    .argument('<id...>', 'document ids', (v: string, all: number[] = []) => [...all, documentId(v)])
    .action((ids: number[], _options: object, command: Command) =>
      withDocSight(command, async (app) => {
        for (const id of ids) {
          const { document, job, alreadyQueued } = await reingestDocument(app, id);
          process.stdout.write(
            `${alreadyQueued ? 'Already queued' : 'Queued'}: ${document.name} (job ${job.id}).\n`,
          );
        }
      }),
    );
  docs
    .command('reindex')
    .description(
      'Bring the index up to date from the stored lines, without OCR: rebuild the index terms after an ' +
        'upgrade changed them, and embed every chunk that has no vector when library.embeddingModel is set.',
    )
    .option('--full', 'rebuild every page (and, with an embedding model, re-embed every chunk)')
    .action((options: { full?: boolean }, command: Command) =>
      withDocSight(command, async (app) => {
        const tty = process.stderr.isTTY;
        const { pagesReindexed, embedded } = await reindex(app, {
          full: options.full,
          onEmbedded: (done) => {
            if (tty) process.stderr.write(`\r\x1b[2Kembedding: ${done} chunk(s)`);
          },
        });
        if (tty && embedded) process.stderr.write('\r\x1b[2K');
        const out: string[] = [];
        if (pagesReindexed === undefined) out.push('The index terms are current.');
        else out.push(`Re-indexed ${pagesReindexed} page(s)${embedded ? ' with vectors' : ''}.`);
        if (!embedded)
          out.push('No embedding model configured (library.embeddingModel): search stays BM25 only.');
        else if (embedded.chunks > 0)
          out.push(
            `Embedded ${embedded.chunks} chunk(s) in ${embedded.seconds.toFixed(1)} s with ${embedded.model}.`,
          );
        else out.push(`Every chunk has a vector (${embedded.model}).`);
        process.stdout.write(`${out.join('\n')}\n`);
      }),
    );
  return docs;
}
