import { basename } from 'node:path';
import type { Command } from 'commander';
import { createDocSight } from '../../app/docsight.js';
import { addDocuments } from '../../app/ingest.js';
import { describeError } from '../../errors.js';
import { expandInputPaths } from '../../ingest/expand-paths.js';
import { readLocalFile } from '../../read/intake/read-local-file.js';
import { configFromGlobals } from './command-config.js';
import { collect } from './options.js';
import { runQueueWithProgress } from './queue-output.js';
import { printable } from './printable.js';

interface IngestOptions {
  collection?: string;
  tag?: string[];
  wait?: boolean;
  followLinks?: boolean;
}

/** `docsight ingest <path...>`: adds files, folders (recursively) and globs to the library. */
export function registerIngestCommand(program: Command): Command {
  return program
    .command('ingest')
    .description('Add documents to the library: files, folders (recursively) and globs.')
    .argument('<path...>', 'files, folders or quoted globs such as "scans/**/*.pdf"')
    .option('--collection <name>', 'put the documents in this collection')
    .option('--tag <tag>', 'tag the documents (repeatable)', collect)
    .option('--wait', 'read and index them now, with a progress bar, instead of only queueing them')
    .option('--follow-links', 'in folders, also follow symbolic links that point outside the folder')
    .action(async (paths: string[], options: IngestOptions, command: Command) => {
      const config = configFromGlobals(command);
      const files = await expandInputPaths(paths, { followLinks: options.followLinks });
      const app = createDocSight(config);
      try {
        // Each file is read when its turn comes, so one file at a time is in memory.
        const inputs = files.map((file) => ({
          name: basename(file),
          bytes: () => readLocalFile(file, config.intake),
        }));
        const summary = await addDocuments(app, inputs, {
          collection: options.collection,
          tags: options.tag,
          onResult: (r) => {
            if (r.status === 'duplicate') {
              process.stderr.write(
                `already in the library: ${printable(files[r.index]!)} (document ${r.document.id})\n`,
              );
            } else if (r.status === 'rejected') {
              process.stderr.write(`skipped (${r.error.code}): ${printable(describeError(r.error))}\n`);
            }
          },
        });
        const queued = summary.jobIds.length;
        process.stdout.write(
          `${summary.added} new document(s), ${queued} job(s) queued, ${summary.rejected} rejected.\n`,
        );
        if (options.wait && queued > 0) {
          const { failed } = await runQueueWithProgress(app, summary.jobIds);
          if (failed > 0) process.exitCode = 1;
        } else if (queued > 0) {
          process.stdout.write('Run `docsight jobs run` (or the server) to read and index them.\n');
        }
        if (summary.rejected > 0) process.exitCode = 1;
      } finally {
        await app.close();
      }
    });
}
