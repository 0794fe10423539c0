import type { Command } from 'commander';
import { DocSightError } from '../../errors.js';
import type { DocumentRecord } from '../../store/library-store.js';
import { openConfiguredEmbedder } from '../../find/open-configured-embedder.js';
import { embedMissingChunks } from '../../ingest/embed-missing-chunks.js';
import { needsReindex, reindexLibrary } from '../../ingest/reindex-library.js';
import { deleteDocument, openLibrary } from '../../store/library.js';
import { configFromGlobals } from './command-config.js';
import { printable } from './printable.js';

function documentId(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new DocSightError(
      'BAD_REQUEST',
      `Document ids are whole numbers, not "${raw}". See \`docsight docs list\`.`,
    );
  }
  return n;
}

function docLine(d: DocumentRecord): string {
  const when = new Date(d.createdAt).toISOString().slice(0, 16).replace('T', ' ');
  const tags = d.tags.length ? `  #${d.tags.join(' #')}` : '';
  // Names, collections and tags come from outside: escaped, so they cannot drive the terminal.
  return printable(
    `${String(d.id).padStart(5)}  ${d.status.padEnd(7)}  ${String(d.pageCount ?? '-').padStart(4)} p  ${when}  ${d.collection ?? '-'}  ${d.name}${tags}`,
  );
}

/** `docsight docs list|show|rm`: the documents in the library. */
export function registerDocsCommand(program: Command): Command {
  const docs = program.command('docs').description('Documents in the library: list, show, remove.');
  docs
    .command('list', { isDefault: true })
    .description('List documents: id, status, pages, ingested, collection, name, tags.')
    .option('--collection <name>', 'only this collection')
    .option('--json', 'print JSON')
    .action(async (options: { collection?: string; json?: boolean }, command: Command) => {
      const library = openLibrary(configFromGlobals(command).home);
      try {
        const list = await library.store.listDocuments({ collection: options.collection });
        if (options.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        else
          process.stdout.write(list.length ? `${list.map(docLine).join('\n')}\n` : 'The library is empty.\n');
      } finally {
        await library.close();
      }
    });
  docs
    .command('show')
    .description("A document's details and its pages' text.")
    .argument('<id>', 'document id', documentId)
    .option('--json', 'print JSON (with every line and box)')
    .action(async (id: number, options: { json?: boolean }, command: Command) => {
      const library = openLibrary(configFromGlobals(command).home);
      try {
        const doc = await library.store.getDocument(id);
        if (!doc) throw new DocSightError('NOT_FOUND', `No document ${id}. See \`docsight docs list\`.`);
        const pages = [];
        for (const p of await library.store.listPages(id))
          pages.push((await library.store.getPage(id, p.page))!);
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ ...doc, pages }, null, 2)}\n`);
          return;
        }
        const out = [docLine(doc), `sha256 ${doc.sha256}  ${doc.mime}  ${doc.sizeBytes} bytes`];
        if (doc.error) out.push(`error: ${printable(doc.error)}`);
        for (const p of pages) {
          out.push(
            '',
            `--- page ${p.page} (${p.source}, ${p.width}×${p.height}, ${p.lines.length} lines) ---`,
          );
          out.push(...p.lines.map((l) => printable(l.text)));
        }
        process.stdout.write(`${out.join('\n')}\n`);
      } finally {
        await library.close();
      }
    });
  docs
    .command('rm')
    .description('Remove documents with their pages, index entries and files.')
    .argument('<id...>', 'document ids', (v: string, all: number[] = []) => [...all, documentId(v)])
    .action(async (ids: number[], _options: object, command: Command) => {
      const library = openLibrary(configFromGlobals(command).home);
      try {
        for (const id of ids) {
          if (!(await deleteDocument(library, id))) {
            process.exitCode = 1;
            process.stderr.write(`No document ${id}.\n`);
          } else {
            process.stdout.write(`Removed document ${id}.\n`);
          }
        }
      } finally {
        await library.close();
      }
    });
  docs
    .command('reindex')
    .description(
      'Bring the index up to date from the stored lines, without OCR: rebuild the index terms after an ' +
        'upgrade changed them, and embed every chunk that has no vector when library.embeddingModel is set.',
    )
    .option('--full', 'rebuild every page (and, with an embedding model, re-embed every chunk)')
    .action(async (options: { full?: boolean }, command: Command) => {
      const config = configFromGlobals(command);
      const library = openLibrary(config.home);
      const embedder = await openConfiguredEmbedder(config);
      try {
        const index = await library.store.vectorIndexInfo();
        if (embedder && index && index.model !== embedder.model) {
          if (!options.full) {
            throw new DocSightError(
              'BAD_CONFIG',
              `The library's vectors come from ${index.model}, not the configured ${embedder.model}. ` +
                'Run `docsight docs reindex --full` to re-embed the library with the new model.',
            );
          }
          await library.store.dropVectorIndex();
        }
        if (options.full || (await needsReindex(library))) {
          const pages = await reindexLibrary(library, { chunkChars: config.library.chunkChars, embedder });
          process.stdout.write(`Re-indexed ${pages} page(s)${embedder ? ' with vectors' : ''}.\n`);
        } else {
          process.stdout.write('The index terms are current.\n');
        }
        if (embedder) {
          const t0 = performance.now();
          const tty = process.stderr.isTTY;
          const n = await embedMissingChunks(library, embedder, {
            onProgress: (done) => {
              if (tty) process.stderr.write(`\r\x1b[2Kembedding: ${done} chunk(s)`);
            },
          });
          if (tty) process.stderr.write('\r\x1b[2K');
          const seconds = (performance.now() - t0) / 1000;
          process.stdout.write(
            n > 0
              ? `Embedded ${n} chunk(s) in ${seconds.toFixed(1)} s with ${embedder.model}.\n`
              : `Every chunk has a vector (${embedder.model}).\n`,
          );
        } else {
          process.stdout.write(
            'No embedding model configured (library.embeddingModel): search stays BM25 only.\n',
          );
        }
      } finally {
        await embedder?.close();
        await library.close();
      }
    });
  return docs;
}
