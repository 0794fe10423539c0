import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { DocSight } from '../../../app/docsight.js';
import type { Ingestion } from '../../../app/ingest.js';
import {
  cancelJob,
  followAllJobs,
  followJob,
  getJob,
  JOB_STATES,
  listJobs,
  type JobUpdate,
} from '../../../app/jobs.js';
import { DocSightError } from '../../../errors.js';
import type { JobState } from '../../../store/library-store.js';
import { startEventStream } from '../event-stream.js';
import { accessOf } from '../request-access.js';
import { defineRoute } from '../route.js';
import { idParam, jobSchema, toJobJson } from './document-shapes.js';

const TAG = 'Jobs';
const idParams = z.object({ id: idParam });
const stateEnum = z.enum(JOB_STATES as [JobState, ...JobState[]]);

/** A job update as an event's JSON: `type` says which; ids and counts in snake_case. */
export function toUpdateJson(update: JobUpdate): Record<string, unknown> {
  switch (update.type) {
    case 'state':
      return { type: 'state', job: toJobJson(update.job) };
    case 'progress':
      return {
        type: 'progress',
        job_id: update.jobId,
        document_id: update.documentId,
        pages_done: update.pagesDone,
        pages_total: update.pagesTotal,
      };
    case 'retrying':
    case 'failed':
      return { type: update.type, job_id: update.jobId, document_id: update.documentId, error: update.error };
    default:
      return { type: update.type, job_id: update.jobId, document_id: update.documentId };
  }
}

/** Streams updates as server-sent events until they end, the client hangs up or the server closes. */
async function streamUpdates(
  reply: FastifyReply,
  controller: AbortController,
  updates: AsyncGenerator<JobUpdate>,
): Promise<undefined> {
  const stream = startEventStream(reply);
  stream.clientGone.addEventListener('abort', () => controller.abort());
  try {
    for await (const update of updates) stream.send(toUpdateJson(update));
  } finally {
    stream.end();
  }
  return undefined;
}

const EVENTS_DESCRIPTION =
  'Server-sent events, one JSON object per `data:` frame with a `type`: `state` (the job now), `progress` ' +
  '(`pages_done`, `pages_total`), `retrying` (`error`), then `done`, `failed` (`error`: `code`, `message`) ' +
  'or `cancelled`';

/** The job routes: list, look up, cancel, and follow as server-sent events. */
export function jobRoutes(app: DocSight, ingestion: Ingestion | undefined, closing?: AbortSignal) {
  /** Stops when the client hangs up (see streamUpdates) or the server closes. */
  const streamController = (reply: FastifyReply): AbortController => {
    const controller = new AbortController();
    if (closing?.aborted) controller.abort();
    const stop = () => controller.abort();
    closing?.addEventListener('abort', stop, { once: true });
    reply.raw.once('close', () => closing?.removeEventListener('abort', stop));
    return controller;
  };
  return [
    defineRoute({
      method: 'GET',
      url: '/api/jobs',
      tag: TAG,
      summary: 'List ingest jobs, newest first',
      query: z
        .object({
          /** Repeat it for several states. */
          state: z.union([stateEnum, z.array(stateEnum).max(5)]).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(50),
        })
        .strict(),
      responses: { 200: { description: 'Jobs', schema: z.object({ jobs: z.array(jobSchema) }) } },
      async handler({ query, request }) {
        const states = query.state === undefined ? undefined : [query.state].flat();
        const jobs = await listJobs(app, { states, limit: query.limit }, accessOf(request));
        return { jobs: jobs.map(toJobJson) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/jobs/:id',
      tag: TAG,
      summary: 'One job: state, pages done of total, error',
      params: idParams,
      responses: {
        200: { description: 'The job', schema: jobSchema },
        404: { description: 'No such job' },
      },
      async handler({ params, request }) {
        return toJobJson(await getJob(app, params.id, accessOf(request)));
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/jobs/:id/cancel',
      tag: TAG,
      summary: 'Cancel a job (a running one stops after its current page)',
      params: idParams,
      responses: {
        200: { description: 'The job as it is now', schema: jobSchema },
        404: { description: 'No such job' },
      },
      async handler({ params, request }) {
        return toJobJson(await cancelJob(app, params.id, accessOf(request), ingestion));
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/jobs/:id/events',
      tag: TAG,
      summary: 'Follow one job: its current state, progress, then how it ended (server-sent events)',
      params: idParams,
      responses: {
        200: { description: EVENTS_DESCRIPTION, contentType: 'text/event-stream' },
        404: { description: 'No such job' },
      },
      async handler({ params, request, reply }) {
        const controller = streamController(reply);
        // Awaited before the stream starts: an unknown job is a plain 404.
        const updates = await followJob(app, params.id, {
          access: accessOf(request),
          ingestion,
          signal: controller.signal,
        });
        return streamUpdates(reply, controller, updates);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/events',
      tag: TAG,
      summary: 'Follow every job this key may see (server-sent events, until the client hangs up)',
      responses: {
        200: { description: EVENTS_DESCRIPTION, contentType: 'text/event-stream' },
        404: { description: 'This server runs no ingestion (an embedded test server)' },
      },
      async handler({ request, reply }) {
        if (!ingestion) {
          throw new DocSightError(
            'NOT_FOUND',
            'This server reads no documents itself, so it has no job events; `docsight serve` does.',
          );
        }
        const controller = streamController(reply);
        const updates = followAllJobs(app, ingestion, {
          access: accessOf(request),
          signal: controller.signal,
        });
        return streamUpdates(reply, controller, updates);
      },
    }),
  ];
}
