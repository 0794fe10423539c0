import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { configFromGlobals } from './command-config.js';
import { describeError, isDocSightError } from '../../errors.js';
import { openConfiguredEmbedder } from '../../find/open-configured-embedder.js';
import { addToLibrary } from '../../ingest/add-to-library.js';
import { expandInputPaths } from '../../ingest/expand-paths.js';
import { startLibraryIngestion } from '../../ingest/start-library-ingestion.js';
import { openLibrary, type Library } from '../../store/library.js';
import { printable } from './printable.js';

/**
 * Runs the ingest workers until the queue is empty, drawing progress on stderr, and returns the
 * number of jobs (of `jobIds`, or all when omitted) that failed.
 */
export async function drainIngestQueue(
  library: Library,
  config: Config,
  jobIds?: Set<number>,
): Promise<number> {
  // With library.embeddingModel set, chunks are embedded as they are written (hybrid search).
  const embedder = await openConfiguredEmbedder(config);
  const ingestion = startLibraryIngestion(library, config, { pollMs: 200, embedder });
  const { workers } = ingestion;
  const tty = process.stderr.isTTY;
  let failed = 0;
  workers.events.on('progress', (p) => {
    if (!tty) return;
    const total = p.pagesTotal ?? p.pagesDone;
    const width = 30;
    const filled = total > 0 ? Math.round((p.pagesDone / total) * width) : 0;
    process.stderr.write(
      `\r\x1b[2K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.pagesDone}/${total} pages  job ${p.jobId}`,
    );
  });
  workers.events.on('job', (e) => {
    if (jobIds && !jobIds.has(e.jobId)) return;
    if (tty) process.stderr.write('\r\x1b[2K');
    void library.store.getJob(e.jobId).then((job) => {
      const name = job?.documentName ?? `document ${e.documentId}`;
      if (e.state === 'failed') failed++;
      const detail = e.error ? `: ${e.errorCode} ${e.error}` : job ? ` (${job.pagesDone} pages)` : '';
      process.stderr.write(`${e.state === 'queued' ? 'will retry' : e.state}  ${printable(name + detail)}\n`);
    });
  });
  try {
    await workers.settled(jobIds);
  } finally {
    await ingestion.stop();
    await embedder?.close();
  }
  if (embedder && embedder.truncatedTexts > 0) {
    process.stderr.write(
      `${embedder.truncatedTexts} chunk(s) were longer than the embedding context and embedded from their beginning.\n`,
    );
  }
  return failed;
}

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
    .option('--tag <tag>', 'tag the documents (repeatable)', (v: string, all: string[] = []) => [...all, v])
    .option('--wait', 'read and index them now, with a progress bar, instead of only queueing them')
    .option('--follow-links', 'in folders, also follow symbolic links that point outside the folder')
    .action(async (paths: string[], options: IngestOptions, command: Command) => {
      const config = configFromGlobals(command);
      const files = await expandInputPaths(paths, { followLinks: options.followLinks });
      const library = openLibrary(config.home);
      try {
        const jobIds = new Set<number>();
        let added = 0;
        let rejected = 0;
        for (const file of files) {
          try {
            const r = await addToLibrary(
              library,
              { path: file },
              {
                collection: options.collection,
                tags: options.tag,
                maxAttempts: config.library.maxAttempts,
                maxFileBytes: config.intake.maxFileBytes,
              },
            );
            if (r.job) jobIds.add(r.job.id);
            if (!r.duplicate) added++;
            else
              process.stderr.write(
                `already in the library: ${printable(file)} (document ${r.document.id})\n`,
              );
          } catch (err) {
            // One bad file is reported and skipped; the rest still go in.
            rejected++;
            const code = isDocSightError(err) ? ` (${err.code})` : '';
            process.stderr.write(`skipped${code}: ${printable(describeError(err))}\n`);
          }
        }
        process.stdout.write(
          `${added} new document(s), ${jobIds.size} job(s) queued, ${rejected} rejected.\n`,
        );
        if (options.wait && jobIds.size > 0) {
          const failed = await drainIngestQueue(library, config, jobIds);
          if (failed > 0) process.exitCode = 1;
        } else if (jobIds.size > 0) {
          process.stdout.write('Run `docsight jobs run` (or the server) to read and index them.\n');
        }
        if (rejected > 0) process.exitCode = 1;
      } finally {
        await library.close();
      }
    });
}
