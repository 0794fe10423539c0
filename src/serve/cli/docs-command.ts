import type { Command } from 'commander';
import { DocSightError } from '../../errors.js';
import type { DocumentRecord } from '../../store/library-store.js';
import { reindexLibrary } from '../../ingest/reindex-library.js';
import { deleteDocument, openLibrary } from '../../store/library.js';
import { configFromGlobals } from './command-config.js';

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
  return `${String(d.id).padStart(5)}  ${d.status.padEnd(7)}  ${String(d.pageCount ?? '-').padStart(4)} p  ${when}  ${d.collection ?? '-'}  ${d.name}${tags}`;
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
        if (doc.error) out.push(`error: ${doc.error}`);
        for (const p of pages) {
          out.push(
            '',
            `--- page ${p.page} (${p.source}, ${p.width}×${p.height}, ${p.lines.length} lines) ---`,
          );
          out.push(...p.lines.map((l) => l.text));
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
      'Rebuild the search index from the stored lines (after an upgrade changed the index terms); no OCR.',
    )
    .action(async (_options: object, command: Command) => {
      const config = configFromGlobals(command);
      const library = openLibrary(config.home);
      try {
        const pages = await reindexLibrary(library, { chunkChars: config.library.chunkChars });
        process.stdout.write(`Re-indexed ${pages} page(s).\n`);
      } finally {
        await library.close();
      }
    });
  return docs;
}
