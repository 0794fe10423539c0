import { processQueue, type ProcessQueueResult } from '../../app/ingest.js';
import type { DocSight } from '../../app/docsight.js';
import { printable } from './printable.js';

/**
 * Runs the queue as `docsight ingest --wait` and `docsight jobs run` show it: a bar of the running job's
 * pages on a terminal, one line per finished job, and a note on chunks embedded from their beginning.
 */
export async function runQueueWithProgress(
  app: DocSight,
  jobIds?: Iterable<number>,
): Promise<ProcessQueueResult> {
  const tty = process.stderr.isTTY;
  const result = await processQueue(app, {
    jobIds,
    onProgress: (p) => {
      if (!tty) return;
      const total = p.pagesTotal ?? p.pagesDone;
      const width = 30;
      const filled = total > 0 ? Math.round((p.pagesDone / total) * width) : 0;
      process.stderr.write(
        `\r\x1b[2K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.pagesDone}/${total} pages  job ${p.jobId}`,
      );
    },
    onJob: ({ state, documentId, error, errorCode, job }) => {
      if (tty) process.stderr.write('\r\x1b[2K');
      const name = job?.documentName ?? `document ${documentId}`;
      const detail = error ? `: ${errorCode} ${error}` : job ? ` (${job.pagesDone} pages)` : '';
      process.stderr.write(`${state === 'queued' ? 'will retry' : state}  ${printable(name + detail)}\n`);
    },
  });
  if (result.truncatedChunks > 0) {
    process.stderr.write(
      `${result.truncatedChunks} chunk(s) were longer than the embedding context and embedded from their beginning.\n`,
    );
  }
  return result;
}
