import { DocSightError } from '../errors.js';
import type { JobRecord, JobState } from '../store/library-store.js';
import type { DocSight } from './docsight.js';

/** The ingest queue as use cases: list, look up and cancel jobs (running them is in ingest.ts). */

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
): Promise<JobRecord[]> {
  return app.library().store.listJobs({ states: options.states, limit: options.limit ?? 50 });
}

/** One job; NOT_FOUND when there is none with that id. */
export async function getJob(app: DocSight, id: number): Promise<JobRecord> {
  const job = await app.library().store.getJob(id);
  if (!job) throw new DocSightError('NOT_FOUND', `No job ${id}. See \`docsight jobs\`.`);
  return job;
}

/**
 * Cancels a job: a queued one never starts; a running one — in this process or another — stops after its
 * current page. Returns the job as it is now; NOT_FOUND when there is none with that id.
 *
 * @example
 *   const job = await cancelJob(app, 12); // job.state === 'cancelled'
 */
export async function cancelJob(app: DocSight, id: number): Promise<JobRecord> {
  const job = await app.library().store.cancelJob(id);
  if (!job) throw new DocSightError('NOT_FOUND', `No job ${id}. See \`docsight jobs\`.`);
  return job;
}
