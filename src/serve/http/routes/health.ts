import { z } from 'zod';
import type { DocSight } from '../../../app/docsight.js';
import { servedModelName } from '../../../app/served-model.js';
import { describeError } from '../../../errors.js';
import { defineRoute } from '../route.js';

/** `GET /health`: the process is alive and answering (for a supervisor's liveness probe). */
export const healthRoute = defineRoute({
  method: 'GET',
  url: '/health',
  tag: 'Service',
  summary: 'The process is alive',
  responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } },
  async handler() {
    return { status: 'ok' };
  },
});

const readySchema = z.object({
  ready: z.boolean(),
  store: z.object({ ok: z.boolean(), detail: z.string().optional() }),
  model: z.object({ id: z.string(), ready: z.boolean(), detail: z.string().optional() }),
});

/**
 * `GET /ready`: whether requests can be served — the library opens, and the vision-language model's state.
 * 200 once the store is open (search and ingestion work without a model); the model's state is in the body.
 */
export function readyRoute(app: DocSight) {
  return defineRoute({
    method: 'GET',
    url: '/ready',
    tag: 'Service',
    summary: 'The library is open; the state of the model',
    responses: {
      200: { description: 'The library is open', schema: readySchema },
      503: { description: 'The library cannot be opened', schema: readySchema },
    },
    async handler({ reply }) {
      const store = await app
        .library()
        .store.stats()
        .then(
          () => ({ ok: true }),
          (err: unknown) => ({ ok: false, detail: describeError(err) }),
        );
      const model = await (async () => {
        try {
          const status = await app.engine().engine.status();
          return { ready: status.ready, detail: status.detail };
        } catch (err) {
          return { ready: false, detail: describeError(err) };
        }
      })();
      const body = { ready: store.ok, store, model: { id: servedModelName(app.config), ...model } };
      return reply.code(store.ok ? 200 : 503).send(body);
    },
  });
}
