import { DocSightError } from '../errors.js';
import type { JobRecord, JobState } from '../store/library-store.js';
import { canSee, FULL_ACCESS, visibleCollections, type Access } from './access.js';
import type { DocSight } from './docsight.js';
import type { Ingestion } from './ingest.js';

/**
 * The ingest queue as use cases: list, look up, cancel and follow jobs (running them is in ingest.ts). A job
 * belongs to its document's collection: one the caller's `access` cannot see does not exist for it.
 */

export const JOB_STATES: readonly JobState[] = ['queued', 'running', 'done', 'failed', 'cancelled'];

/**
 * Checks a state named by a user; `label` names where it came from (a flag, a query parameter).
 *
 * @example
 *   parseJobState('failed', '--state'); // 'failed'
 */
export function parseJobState(raw: string, label = 'The job state'): JobState {
  if (!JOB_STATES.includes(raw as JobState)) {
    throw new DocSightError('BAD_REQUEST', `${label} must be one of ${JOB_STATES.join(', ')}, not "${raw}".`);
  }
  return raw as JobState;
}

/**
 * Jobs, newest first, with pages done/total and errors.
 *
 * @example
 *   const failed = await listJobs(app, { states: ['failed'], limit: 20 });
 */
export function listJobs(
  app: DocSight,
  options: { states?: JobState[]; limit?: number } = {},
  access: Access = FULL_ACCESS,
): Promise<JobRecord[]> {
  return app.library().store.listJobs({
    states: options.states,
    limit: options.limit ?? 50,
    collections: visibleCollections(access),
  });
}

/** Whether `access` may see a job: full access sees all; a scoped key, jobs of its collections' documents. */
async function canSeeJob(app: DocSight, documentId: number | null, access: Access): Promise<boolean> {
  if (access.kind === 'all') return true;
  if (documentId === null) return false;
  const document = await app.library().store.getDocument(documentId);
  return document !== undefined && canSee(access, document.collection);
}

const noJob = (id: number): DocSightError =>
  new DocSightError('NOT_FOUND', `No job ${id}. See \`docsight jobs\`.`);

/** One job; NOT_FOUND when there is none with that id (or `access` may not see it). */
export async function getJob(app: DocSight, id: number, access: Access = FULL_ACCESS): Promise<JobRecord> {
  const job = await app.library().store.getJob(id);
  if (!job || !(await canSeeJob(app, job.documentId, access))) throw noJob(id);
  return job;
}

/**
 * Cancels a job: a queued one never starts; a running one — in this process or another — stops after its
 * current page (at once when `ingestion` runs it here). Returns the job as it is now; NOT_FOUND when there is
 * none with that id.
 *
 * @example
 *   const job = await cancelJob(app, 12); // job.state === 'cancelled'
 */
export async function cancelJob(
  app: DocSight,
  id: number,
  access: Access = FULL_ACCESS,
  ingestion?: Pick<Ingestion, 'cancel'>,
): Promise<JobRecord> {
  await getJob(app, id, access);
  const job = ingestion ? await ingestion.cancel(id) : await app.library().store.cancelJob(id);
  if (!job) throw noJob(id);
  return job;
}

/** What happens to a job, as a follower sees it. */
export type JobUpdate =
  /** Where the job is now: the first update a follower gets, however late it comes. */
  | { type: 'state'; job: JobRecord }
  | {
      type: 'progress';
      jobId: number;
      documentId: number | null;
      pagesDone: number;
      pagesTotal: number | null;
    }
  /** The job failed this attempt and is queued to try again. */
  | { type: 'retrying'; jobId: number; documentId: number | null; error: { code: string; message: string } }
  | { type: 'done' | 'cancelled'; jobId: number; documentId: number | null }
  | { type: 'failed'; jobId: number; documentId: number | null; error: { code: string; message: string } };

const ENDED: ReadonlySet<JobState> = new Set(['done', 'failed', 'cancelled']);

const errorOf = (code: string | null | undefined, message: string | null | undefined) => ({
  code: (code ?? 'INTERNAL').toLowerCase(),
  message: message ?? 'The job failed.',
});

/** A job's end as an update, from its record. */
function endOf(job: JobRecord): JobUpdate {
  const base = { jobId: job.id, documentId: job.documentId };
  if (job.state === 'failed') return { type: 'failed', ...base, error: errorOf(job.errorCode, job.error) };
  return { type: job.state === 'done' ? 'done' : 'cancelled', ...base };
}

type JobEvent = {
  jobId: number;
  documentId: number | null;
  state: JobState;
  error?: string;
  errorCode?: string;
};

/**
 * An ingestion's job event as an update. The workers store the outcome before they announce it, so the
 * record is read for the end (it holds the stored error); the event itself serves if the record is gone.
 */
async function updateOfEvent(app: DocSight, e: JobEvent): Promise<JobUpdate> {
  const base = { jobId: e.jobId, documentId: e.documentId };
  if (e.state === 'queued') return { type: 'retrying', ...base, error: errorOf(e.errorCode, e.error) };
  const job = await app.library().store.getJob(e.jobId);
  if (job && ENDED.has(job.state)) return endOf(job);
  if (e.state === 'failed') return { type: 'failed', ...base, error: errorOf(e.errorCode, e.error) };
  return { type: e.state === 'done' ? 'done' : 'cancelled', ...base };
}

/**
 * A queue of updates fed by callbacks and read as an async iterator; `close()` ends the reading, and the
 * signal ends it too (a follower that hung up).
 */
function updateQueue(signal: AbortSignal | undefined) {
  const buffered: JobUpdate[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  const close = () => {
    closed = true;
    wake?.();
  };
  signal?.addEventListener('abort', close, { once: true });
  return {
    push(update: JobUpdate) {
      if (closed) return;
      buffered.push(update);
      wake?.();
    },
    close,
    async *read(): AsyncGenerator<JobUpdate> {
      try {
        for (;;) {
          while (buffered.length > 0) yield buffered.shift()!;
          if (closed || signal?.aborted) return;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      } finally {
        signal?.removeEventListener('abort', close);
      }
    },
  };
}

export interface FollowOptions {
  access?: Access;
  /** The ingestion this process runs: its events arrive at once. Without it, or for jobs run elsewhere, the
   * job's record is polled. */
  ingestion?: Pick<Ingestion, 'events'>;
  /** How often the job's record is read for changes made by other processes (default 1 s). */
  pollMs?: number;
  /** Aborting ends the updates (the follower went away). */
  signal?: AbortSignal;
}

/**
 * Follows one job: its current state first, then progress, then how it ended (done, failed with the error,
 * or cancelled), after which the updates end. A retry after a failed attempt is reported and followed.
 * NOT_FOUND (before any update) when the job does not exist for `access`.
 *
 * @example
 *   for await (const update of followJob(app, 12, { ingestion })) if (update.type === 'progress') bar(update);
 */
export async function followJob(
  app: DocSight,
  id: number,
  options: FollowOptions = {},
): Promise<AsyncGenerator<JobUpdate>> {
  const first = await getJob(app, id, options.access ?? FULL_ACCESS);
  const store = app.library().store;
  const queue = updateQueue(options.signal);
  let pagesDone = first.pagesDone;
  let pagesTotal = first.pagesTotal;
  let ended = false;
  const end = (update: JobUpdate) => {
    if (ended) return;
    ended = true;
    queue.push(update);
    queue.close();
  };
  const progress = (done: number, total: number | null) => {
    if (done === pagesDone && total === pagesTotal) return;
    [pagesDone, pagesTotal] = [done, total];
    queue.push({ type: 'progress', jobId: id, documentId: first.documentId, pagesDone, pagesTotal });
  };
  const events = options.ingestion?.events;
  const onProgress = (p: { jobId: number; pagesDone: number; pagesTotal: number | null }) => {
    if (p.jobId === id && !ended) progress(p.pagesDone, p.pagesTotal);
  };
  // Updates from events are delivered in the order the events came, though each may read the store.
  let order = Promise.resolve();
  const onJob = (e: JobEvent) => {
    if (e.jobId !== id || ended) return;
    order = order
      .then(() => updateOfEvent(app, e))
      .then((update) => (update.type === 'retrying' ? queue.push(update) : end(update)))
      .catch(() => undefined);
  };
  // Subscribed before the state is read, so nothing happening in between is missed.
  events?.on('progress', onProgress);
  events?.on('job', onJob);

  const poll = async (): Promise<void> => {
    const job = await store.getJob(id);
    if (ended) return;
    if (!job) return end({ type: 'cancelled', jobId: id, documentId: first.documentId });
    progress(job.pagesDone, job.pagesTotal);
    if (ENDED.has(job.state)) end(endOf(job));
  };
  const current = (await store.getJob(id)) ?? first;
  [pagesDone, pagesTotal] = [current.pagesDone, current.pagesTotal];
  queue.push({ type: 'state', job: current });
  if (ENDED.has(current.state)) end(endOf(current));
  const timer = setInterval(() => void poll().catch(() => undefined), options.pollMs ?? 1000);
  timer.unref();

  return (async function* () {
    try {
      yield* queue.read();
    } finally {
      clearInterval(timer);
      events?.off('progress', onProgress);
      events?.off('job', onJob);
    }
  })();
}

/**
 * Every job update of the ingestion this process runs that `access` may see — progress, retries and ends
 * of all jobs — until the signal aborts. For a live view of the whole queue.
 *
 * @example
 *   for await (const update of followAllJobs(app, ingestion, { access, signal })) send(update);
 */
export function followAllJobs(
  app: DocSight,
  ingestion: Pick<Ingestion, 'events'>,
  options: { access?: Access; signal?: AbortSignal } = {},
): AsyncGenerator<JobUpdate> {
  const access = options.access ?? FULL_ACCESS;
  const queue = updateQueue(options.signal);
  // Documents' collections, looked up once per document (deleted documents stay unseen by scoped keys).
  const visible = new Map<number, Promise<boolean>>();
  const mayShow = (documentId: number | null): Promise<boolean> => {
    if (access.kind === 'all') return Promise.resolve(true);
    if (documentId === null) return Promise.resolve(false);
    let seen = visible.get(documentId);
    if (!seen) visible.set(documentId, (seen = canSeeJob(app, documentId, access)));
    return seen;
  };
  // Lookups are chained so that updates leave in the order they happened.
  let order = Promise.resolve();
  const forward = (documentId: number | null, update: () => Promise<JobUpdate> | JobUpdate) => {
    order = order
      .then(async () => {
        if (await mayShow(documentId)) queue.push(await update());
      })
      .catch(() => undefined);
  };
  const onProgress = (p: {
    jobId: number;
    documentId: number;
    pagesDone: number;
    pagesTotal: number | null;
  }) => forward(p.documentId, () => ({ type: 'progress', ...p }));
  const onJob = (e: JobEvent) => forward(e.documentId, () => updateOfEvent(app, e));
  ingestion.events.on('progress', onProgress);
  ingestion.events.on('job', onJob);
  return (async function* () {
    try {
      yield* queue.read();
    } finally {
      ingestion.events.off('progress', onProgress);
      ingestion.events.off('job', onJob);
    }
  })();
}
