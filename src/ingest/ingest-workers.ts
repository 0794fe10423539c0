import { EventEmitter } from 'node:events';
import { DocSightError, describeError, isDocSightError, type ErrorCode } from '../errors.js';
import type { Embedder } from '../find/embedder.js';
import { removeBlobIfUnreferenced, removeUnreferencedBlobs, type Library } from '../store/library.js';
import type { JobRecord, JobState } from '../store/library-store.js';
import { chunkAndEmbedPage } from './chunk-page.js';
import type { PageReader } from './page-reader.js';
import { needsReindex } from './reindex-library.js';

/** Events a running pool emits; the server forwards them to clients as they come. */
export interface IngestEvents {
  progress: [{ jobId: number; documentId: number; pagesDone: number; pagesTotal: number | null }];
  /** A job left the running state: done, failed, cancelled, or queued again for a retry. */
  job: [{ jobId: number; documentId: number | null; state: JobState; error?: string; errorCode?: string }];
}

export interface IngestWorkerOptions {
  library: Library;
  readPages: PageReader;
  /** Jobs processed at once. */
  concurrency?: number;
  /** First retry delay; doubles with each attempt. */
  retryBaseMs?: number;
  /** How often idle workers look for new jobs (another process may have queued some). */
  pollMs?: number;
  /**
   * How long a claimed job stays this process's without a renewal; renewed every third of it while
   * the job runs. After a crash, the job is taken up again once its lease runs out.
   */
  leaseMs?: number;
  embedder?: Embedder;
  /** Largest chunk, in characters. */
  chunkChars?: number;
  /** Awaited before each next page is read: lets interactive work (a question being answered) go first. */
  beforePage?: () => Promise<void>;
}

export interface IngestWorkers {
  events: EventEmitter<IngestEvents>;
  /** Resolves when no job is running and none is runnable now (retries scheduled later do not count). */
  idle(): Promise<void>;
  /**
   * Resolves when the given jobs (default: every job) have finished — done, failed or cancelled —
   * waiting through scheduled retries, unlike `idle()`.
   */
  settled(jobIds?: Iterable<number>): Promise<void>;
  /** Cancels a job: a queued job never starts, a running one stops after its current page. */
  cancel(jobId: number): Promise<JobRecord | undefined>;
  /** Stops taking jobs, aborts running ones (they go back to the queue) and waits for the workers. */
  stop(): Promise<void>;
}

/** Errors worth a retry: the engine or machine had a bad moment. Bad input fails at once. */
const TRANSIENT: ReadonlySet<ErrorCode> = new Set([
  'ENGINE_FAILED',
  'BUSY',
  'TIMEOUT',
  'INTERNAL',
  'DISK_FULL',
]);

function isTransient(err: unknown): boolean {
  return isDocSightError(err) ? TRANSIENT.has(err.code) : true;
}

/**
 * Starts the ingest workers: each takes the oldest runnable job from the persisted queue, reads
 * the document page by page and writes each page (page, lines, chunks, index entries) in its own
 * transaction. Pages already written by an earlier, interrupted run are skipped, so a job resumed
 * after a crash finishes with every page exactly once. A failure is recorded on its job and the
 * worker moves on: one bad file never blocks the queue.
 *
 * @example
 *   const workers = startIngestWorkers({ library, readPages, concurrency: 2 });
 *   workers.events.on('progress', (p) => console.log(p.pagesDone, '/', p.pagesTotal));
 *   await workers.idle();
 *   await workers.stop();
 */
export function startIngestWorkers(options: IngestWorkerOptions): IngestWorkers {
  const { library, readPages, embedder } = options;
  const { store } = library;
  const concurrency = options.concurrency ?? 1;
  const retryBaseMs = options.retryBaseMs ?? 2000;
  const pollMs = options.pollMs ?? 1000;
  const leaseMs = options.leaseMs ?? 60_000;
  const events = new EventEmitter<IngestEvents>();
  const running = new Map<number, AbortController>();
  let stopping = false;
  const wakers = new Set<() => void>();
  let idleWaiters: (() => void)[] = [];
  let busy = 0;
  // A new library records which index-terms version its pages are written with.
  // Blobs nothing refers to (a failed add or page write, a crash mid-delete) are swept at start-up.
  let ready: Promise<void> = Promise.all([
    store.requeueInterruptedJobs(),
    needsReindex(library),
    removeUnreferencedBlobs(library),
  ]).then(() => undefined);

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wakers.delete(done);
        resolve();
      }
      wakers.add(done);
    });

  async function processJob(job: JobRecord): Promise<void> {
    const controller = new AbortController();
    running.set(job.id, controller);
    const heartbeat = setInterval(() => {
      store.renewLease(job.id, Date.now() + leaseMs).catch(() => undefined);
    }, leaseMs / 3);
    const documentId = job.documentId;
    try {
      const doc = documentId === null ? undefined : await store.getDocument(documentId);
      if (!doc) throw new DocSightError('CANCELLED', 'The document was deleted.');
      const written = await store.writtenPages(doc.id);
      let total: number | null = job.pagesTotal;
      let pages = written.size;
      if (embedder) await store.ensureVectorIndex(embedder.model, embedder.dimensions);
      const source = { path: library.blobs.pathOf(doc.sha256), name: doc.name, mime: doc.mime };
      for await (const page of readPages(source, {
        signal: controller.signal,
        skipPages: written,
        onPage: (_done, n) => {
          if (n === total) return;
          // Known as soon as the document is opened: record it and tell listeners (a bar can show 0/N).
          total = n;
          job.pagesTotal = n;
          // Best effort: if this write fails, the page writes that follow fail loudly anyway.
          store.setJobTotal(job.id, n).catch(() => undefined);
          events.emit('progress', {
            jobId: job.id,
            documentId: doc.id,
            pagesDone: written.size,
            pagesTotal: n,
          });
        },
      })) {
        // Cancelled here or by another process (the CLI) since the last page?
        const now = await store.getJob(job.id);
        if (controller.signal.aborted || now?.state !== 'running') {
          throw new DocSightError('CANCELLED', `Job ${job.id} was cancelled.`);
        }
        if (written.has(page.page)) continue;
        const chunks = await chunkAndEmbedPage(page, options.chunkChars, embedder);
        // The page image: a render the reader kept, or for a single-image file the original itself.
        const imageSha256 = page.image
          ? library.blobs.put(page.image)
          : doc.mime.startsWith('image/') && doc.mime !== 'image/tiff'
            ? doc.sha256
            : undefined;
        try {
          await store.writePage({ jobId: job.id, documentId: doc.id, page, chunks, imageSha256 });
        } catch (err) {
          // A render stored for a page that was not written is referenced by nothing.
          if (imageSha256 && imageSha256 !== doc.sha256)
            await removeBlobIfUnreferenced(library, imageSha256).catch(() => undefined);
          throw err;
        }
        written.add(page.page);
        pages = written.size;
        events.emit('progress', { jobId: job.id, documentId: doc.id, pagesDone: pages, pagesTotal: total });
        await options.beforePage?.();
        // A turn of the event loop between pages: plain-text pages and the synchronous SQLite store settle in
        // microtasks only, which would hold off HTTP requests and SIGTERM until the whole document is in.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (controller.signal.aborted) throw new DocSightError('CANCELLED', `Job ${job.id} was cancelled.`);
      await store.setDocumentStatus(doc.id, 'ready', { pageCount: pages });
      await store.finishJob(job.id, { state: 'done' });
      events.emit('job', { jobId: job.id, documentId, state: 'done' });
    } catch (err) {
      await finishWithError(job, err, controller.signal);
    } finally {
      clearInterval(heartbeat);
      running.delete(job.id);
    }
  }

  async function finishWithError(job: JobRecord, err: unknown, signal: AbortSignal): Promise<void> {
    const documentId = job.documentId;
    if (stopping && signal.aborted) {
      // Shutting down: the job goes back to the queue and resumes where it stopped.
      await store.finishJob(job.id, {
        state: 'queued',
        error: 'Interrupted by shutdown.',
        errorCode: 'CANCELLED',
        retryAt: Date.now(),
        interrupted: true,
      });
      return;
    }
    if (isDocSightError(err, 'CANCELLED') || signal.aborted) {
      await store.finishJob(job.id, { state: 'cancelled' });
      events.emit('job', { jobId: job.id, documentId, state: 'cancelled' });
      return;
    }
    const error = describeError(err);
    const errorCode = isDocSightError(err) ? err.code : 'INTERNAL';
    if (isTransient(err) && job.attempts < job.maxAttempts) {
      const retryAt = Date.now() + retryBaseMs * 2 ** (job.attempts - 1);
      await store.finishJob(job.id, { state: 'queued', error, errorCode, retryAt });
      events.emit('job', { jobId: job.id, documentId, state: 'queued', error, errorCode });
      return;
    }
    await store.finishJob(job.id, { state: 'failed', error, errorCode });
    if (documentId !== null) await store.setDocumentStatus(documentId, 'failed', { error });
    events.emit('job', { jobId: job.id, documentId, state: 'failed', error, errorCode });
  }

  async function worker(): Promise<void> {
    await ready;
    while (!stopping) {
      const job = await store.claimNextJob(Date.now(), leaseMs);
      if (!job) {
        if (busy === 0) {
          for (const w of idleWaiters) w();
          idleWaiters = [];
        }
        await sleep(pollMs);
        continue;
      }
      busy++;
      try {
        await processJob(job);
      } finally {
        busy--;
      }
    }
  }

  const workers = Array.from({ length: concurrency }, () => worker());

  return {
    events,
    idle: () => new Promise<void>((resolve) => idleWaiters.push(resolve)),
    async settled(jobIds) {
      const wanted = jobIds ? new Set(jobIds) : undefined;
      for (;;) {
        await new Promise<void>((resolve) => idleWaiters.push(resolve));
        const pending = (await store.listJobs({ states: ['queued', 'running'] })).filter(
          (j) => !wanted || wanted.has(j.id),
        );
        if (pending.length === 0 || stopping) return;
        const next = Math.min(...pending.map((j) => j.nextRunAt));
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
      }
    },
    async cancel(jobId) {
      const job = await store.cancelJob(jobId);
      running.get(jobId)?.abort();
      return job;
    },
    async stop() {
      stopping = true;
      for (const c of running.values()) c.abort();
      for (const w of [...wakers]) w();
      ready = Promise.resolve();
      await Promise.allSettled(workers);
    },
  };
}
