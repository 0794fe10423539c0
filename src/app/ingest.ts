import type { EventEmitter } from 'node:events';
import { DocSightError, isDocSightError } from '../errors.js';
import { addToLibrary, type AddResult } from '../ingest/add-to-library.js';
import type { IngestEvents } from '../ingest/ingest-workers.js';
import { startLibraryIngestion } from '../ingest/start-library-ingestion.js';
import type { JobRecord } from '../store/library-store.js';
import { FULL_ACCESS, uploadCollection, type Access } from './access.js';
import type { DocSight } from './docsight.js';

/**
 * Ingestion as use cases: add documents (bytes in, queued jobs out), then read and index them — either until
 * the queue is drained (`processQueue`, the CLI's `--wait` and `jobs run`) or for as long as a server runs
 * (`startIngestion`). Progress comes as callbacks or events a server forwards; nothing here prints.
 */

/**
 * A document to add: its bytes now, a function that reads them when its turn comes (one file in memory), or
 * one that opens a stream of them then (stored as it is read, so a large upload is never whole in memory).
 */
export type DocumentInput = {
  /** The name the library shows (a file name, not a server path). */
  name: string;
} & (
  | { bytes: Uint8Array | (() => Promise<Uint8Array>) }
  | { stream: () => AsyncIterable<Uint8Array> }
  /** A file of the caller's own that the library takes over (moved into its blob store): an upload's. */
  | { temporaryFile: string }
);

export interface AddDocumentOptions {
  collection?: string;
  tags?: string[];
}

/** What became of one input: added and queued, already in the library, or refused with a DocSightError. */
export type AddOutcome =
  | ({ index: number; name: string; status: 'added' | 'duplicate' } & AddResult)
  | { index: number; name: string; status: 'rejected'; error: DocSightError };

export interface AddSummary {
  added: number;
  duplicates: number;
  rejected: number;
  /** The jobs that will read the inputs (new ones, and those already queued for a duplicate). */
  jobIds: number[];
  outcomes: AddOutcome[];
}

/**
 * Adds one document: stores its bytes (content-addressed), records it and queues its ingest job. The same
 * bytes twice in one collection are one document (`duplicate: true`), queued again only if its earlier
 * ingestion failed.
 * Throws EMPTY_FILE, FILE_TOO_LARGE (intake.maxFileBytes).
 *
 * A scoped `access` adds only to its own collections (see `uploadCollection`: FORBIDDEN for another). A
 * document is its bytes within its collection, so the same bytes in a collection it cannot see make a new
 * document of its own: nothing tells it the other exists.
 *
 * @example
 *   const { document, job } = await addDocument(app, { bytes, name: 'scan.pdf' }, { collection: 'invoices' });
 */
export async function addDocument(
  app: DocSight,
  input:
    | { bytes: Uint8Array; name: string }
    | { stream: AsyncIterable<Uint8Array>; name: string }
    | { temporaryFile: string; name: string },
  options: AddDocumentOptions = {},
  access: Access = FULL_ACCESS,
): Promise<AddResult> {
  const collection = uploadCollection(access, options.collection);
  return addToLibrary(app.library(), input, {
    collection,
    tags: options.tags,
    maxAttempts: app.config.library.maxAttempts,
    maxFileBytes: app.config.intake.maxFileBytes,
  });
}

/**
 * Adds documents one at a time; one bad input is reported in its outcome and the rest still go in.
 * `onResult` sees each outcome as it happens (the CLI prints skips and duplicates as they come). A collection
 * `access` may not add to is refused (FORBIDDEN) before any input is read.
 *
 * @example
 *   const summary = await addDocuments(app, uploads.map((u) => ({ name: u.name, bytes: u.bytes })));
 *   summary.jobIds; // wait for them with processQueue(app, { jobIds: summary.jobIds })
 */
export async function addDocuments(
  app: DocSight,
  inputs: Iterable<DocumentInput> | AsyncIterable<DocumentInput>,
  options: AddDocumentOptions & { onResult?(outcome: AddOutcome): void } = {},
  access: Access = FULL_ACCESS,
): Promise<AddSummary> {
  const collection = uploadCollection(access, options.collection);
  const summary: AddSummary = { added: 0, duplicates: 0, rejected: 0, jobIds: [], outcomes: [] };
  const jobIds = new Set<number>();
  let index = 0;
  for await (const input of inputs) {
    const at = index++;
    let outcome: AddOutcome;
    try {
      const content =
        'stream' in input
          ? { stream: input.stream() }
          : 'temporaryFile' in input
            ? { temporaryFile: input.temporaryFile }
            : { bytes: typeof input.bytes === 'function' ? await input.bytes() : input.bytes };
      const result = await addDocument(
        app,
        { ...content, name: input.name },
        { ...options, collection },
        access,
      );
      outcome = { index: at, name: input.name, status: result.duplicate ? 'duplicate' : 'added', ...result };
      if (result.job) jobIds.add(result.job.id);
      if (result.duplicate) summary.duplicates++;
      else summary.added++;
    } catch (err) {
      const error = isDocSightError(err)
        ? err
        : new DocSightError('INTERNAL', `${input.name}: ${(err as Error).message}`, { cause: err });
      outcome = { index: at, name: input.name, status: 'rejected', error };
      summary.rejected++;
    }
    summary.outcomes.push(outcome);
    options.onResult?.(outcome);
  }
  summary.jobIds = [...jobIds];
  return summary;
}

/** Ingestion running in the background: its events, and how to wait for, cancel or stop it. */
export interface Ingestion {
  /** 'progress' (pages done of a job) and 'job' (a job finished, failed, was cancelled or will retry). */
  events: EventEmitter<IngestEvents>;
  /** Resolves when the given jobs (default: all) are done, failed or cancelled, waiting through retries. */
  settled(jobIds?: Iterable<number>): Promise<void>;
  /** Cancels a job: a queued one never starts, a running one stops after its current page. */
  cancel(jobId: number): Promise<JobRecord | undefined>;
  /** Stops taking jobs; running ones go back to the queue and resume on the next start. */
  stop(): Promise<void>;
}

/**
 * Starts the ingest workers on the app's library, as a server keeps them for its whole life: they take
 * queued jobs (from any process) until `stop()`. With `library.embeddingModel` set, chunks are embedded
 * with the app's embedder as they are written.
 *
 * @example
 *   const ingestion = await startIngestion(app);
 *   ingestion.events.on('progress', (p) => sse.send('progress', p));
 *   // on shutdown:
 *   await ingestion.stop();
 */
export async function startIngestion(app: DocSight, options: { pollMs?: number } = {}): Promise<Ingestion> {
  const embedder = await app.embedder();
  // The app's one OCR pool: a server that also answers `docsight ocr`-style requests runs no second pool.
  const { workers, stop } = startLibraryIngestion(app.library(), app.config, {
    pollMs: options.pollMs,
    embedder,
    ocr: app.ocr,
    beforePage: app.config.library.yieldToQuestions ? () => app.interactive.idle() : undefined,
  });
  return {
    events: workers.events,
    settled: (jobIds) => workers.settled(jobIds),
    cancel: (jobId) => workers.cancel(jobId),
    stop,
  };
}

type JobEvent = IngestEvents['job'][0];
type ProgressEvent = IngestEvents['progress'][0];

export interface ProcessQueueOptions {
  /** Wait for these jobs only (default: every queued job). Other jobs may run meanwhile. */
  jobIds?: Iterable<number>;
  onProgress?(progress: ProgressEvent): void;
  /** A job of `jobIds` left the running state; `job` is its record then (name, pages done). */
  onJob?(event: JobEvent & { job: JobRecord | undefined }): void;
  /** Aborting stops the workers: running jobs go back to the queue, and this throws CANCELLED. */
  signal?: AbortSignal;
}

export interface ProcessQueueResult {
  done: number;
  failed: number;
  cancelled: number;
  /** Chunks longer than the embedding context, embedded from their beginning. */
  truncatedChunks: number;
}

/**
 * Reads and indexes queued documents until the given jobs (or the whole queue) are finished, then stops
 * the workers. Failed jobs are counted, not thrown: one bad document never fails the rest.
 *
 * @example
 *   const { jobIds } = await addDocuments(app, inputs);
 *   const { failed } = await processQueue(app, { jobIds, onJob: (e) => log(e.state, e.job?.documentName) });
 */
export async function processQueue(
  app: DocSight,
  options: ProcessQueueOptions = {},
): Promise<ProcessQueueResult> {
  if (options.signal?.aborted) throw new DocSightError('CANCELLED', 'Processing the queue was cancelled.');
  const wanted = options.jobIds ? new Set(options.jobIds) : undefined;
  const embedder = await app.embedder();
  const truncatedBefore = embedder?.truncatedTexts ?? 0;
  const ingestion = await startIngestion(app, { pollMs: 200 });
  const result: ProcessQueueResult = { done: 0, failed: 0, cancelled: 0, truncatedChunks: 0 };
  const lookups: Promise<void>[] = [];
  if (options.onProgress) ingestion.events.on('progress', options.onProgress);
  ingestion.events.on('job', (event) => {
    if (wanted && !wanted.has(event.jobId)) return;
    if (event.state === 'done') result.done++;
    if (event.state === 'failed') result.failed++;
    if (event.state === 'cancelled') result.cancelled++;
    const { onJob } = options;
    if (onJob) {
      const store = app.library().store;
      lookups.push(store.getJob(event.jobId).then((job) => onJob({ ...event, job })));
    }
  });
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const outcome = await Promise.race([ingestion.settled(wanted), aborted]);
    if (outcome === 'aborted') throw new DocSightError('CANCELLED', 'Processing the queue was cancelled.');
  } finally {
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    await ingestion.stop();
    await Promise.allSettled(lookups);
  }
  result.truncatedChunks = (embedder?.truncatedTexts ?? 0) - truncatedBefore;
  return result;
}
