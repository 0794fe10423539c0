import { basename } from 'node:path';
import { z } from 'zod';
import type { DocSight } from '../../../app/docsight.js';
import { listModels, pullModel, removeModel } from '../../../app/models.js';
import { DocSightError } from '../../../errors.js';
import { toHttpError } from '../error-response.js';
import { startEventStream, type EventStream } from '../event-stream.js';
import { accessOf } from '../request-access.js';
import { defineRoute } from '../route.js';

const TAG = 'Models (admin)';
const nameParams = z.object({ name: z.string().min(1).max(100) });

const modelSchema = z.object({
  name: z.string(),
  description: z.string(),
  state: z.enum(['installed', 'partial', 'absent']),
  /** Bytes on disk (complete and partial files). */
  bytes: z.int(),
  total_bytes: z.int(),
});

/**
 * The model files routes, for admin keys (or a server without keys): the catalog with what is on disk,
 * download with progress as server-sent events, delete.
 */
export function libraryModelRoutes(
  app: DocSight,
  options: { endpoint?: string; closing?: AbortSignal } = {},
) {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/models',
      tag: TAG,
      summary: 'Catalog models with their state on disk (installed, partial, absent) and sizes',
      responses: {
        200: { description: 'The catalog', schema: z.object({ models: z.array(modelSchema) }) },
        403: { description: 'Not an admin key' },
      },
      async handler({ request }) {
        const models = await listModels(app, accessOf(request));
        return {
          models: models.map((m) => ({
            name: m.name,
            description: m.description,
            state: m.state,
            bytes: m.bytes,
            total_bytes: m.totalBytes,
          })),
        };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/models/:name/pull',
      tag: TAG,
      summary: 'Download a catalog model (resumed, sha256-checked); progress as server-sent events',
      params: nameParams,
      responses: {
        200: {
          description:
            'Server-sent events: `progress` (`file`, `bytes_done`, `bytes_total`, `percent`), then `done` ' +
            '(`files`) or an `error` object as the chat stream sends it',
          contentType: 'text/event-stream',
        },
        403: { description: 'Not an admin key' },
        404: { description: 'No catalog model of that name' },
      },
      async handler({ params, request, reply }) {
        const controller = new AbortController();
        // A server closing stops the download; the partial file stays and the next pull resumes it.
        const stop = () => controller.abort();
        options.closing?.addEventListener('abort', stop, { once: true });
        reply.raw.once('close', () => options.closing?.removeEventListener('abort', stop));
        // The stream starts with the first byte; frames before that wait in `early`.
        const live: { stream?: EventStream } = {};
        const early: object[] = [];
        let firstProgress!: () => void;
        const started = new Promise<void>((resolve) => (firstProgress = resolve));
        const pull = pullModel(
          app,
          params.name,
          {
            endpoint: options.endpoint,
            signal: controller.signal,
            onProgress(file, p) {
              const frame = {
                type: 'progress',
                file,
                bytes_done: p.received,
                bytes_total: p.total ?? null,
                percent: p.total ? Math.floor((1000 * p.received) / p.total) / 10 : null,
              };
              if (live.stream) live.stream.send(frame);
              else {
                early.push(frame);
                firstProgress();
              }
            },
          },
          accessOf(request),
        );
        // Until the first byte arrives, a refusal (403, unknown name, hub unreachable) is a plain HTTP error.
        await Promise.race([started, pull]);
        const stream = (live.stream = startEventStream(reply));
        stream.clientGone.addEventListener('abort', () => controller.abort());
        for (const frame of early) stream.send(frame);
        try {
          const files = await pull;
          stream.send({ type: 'done', name: params.name, files: files.map((f) => basename(f)) });
        } catch (err) {
          if (!stream.clientGone.aborted) stream.send(toHttpError(err).body);
        } finally {
          stream.end();
        }
        return undefined;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/models/:name',
      tag: TAG,
      summary: 'Delete a downloaded model (partial files included)',
      params: nameParams,
      responses: {
        200: { description: 'Deleted', schema: z.object({ name: z.string(), deleted: z.literal(true) }) },
        403: { description: 'Not an admin key' },
        404: { description: 'Unknown model, or nothing of it on disk' },
      },
      async handler({ params, request }) {
        if (!(await removeModel(app, params.name, accessOf(request)))) {
          throw new DocSightError('NOT_FOUND', `Nothing of model ${params.name} is on disk.`);
        }
        return { name: params.name, deleted: true };
      },
    }),
  ];
}
