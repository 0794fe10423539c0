import { z } from 'zod';
import type { DocSight } from '../../../app/docsight.js';
import { modelLoadState } from '../../../app/model-loading.js';
import { downloadsInProgress } from '../../../app/models.js';
import { servedModelName } from '../../../app/served-model.js';
import { describeError, isDocSightError } from '../../../errors.js';
import { defineRoute } from '../route.js';

const modelSchema = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.int(),
  owned_by: z.string(),
  /** DocSight's addition: whether the model can answer now, and if not, why and how to fix it. */
  state: z.enum(['absent', 'downloading', 'loading', 'ready', 'failed']),
  /** While downloading: how far, 0–100. */
  percent: z.number().optional(),
  detail: z.string().optional(),
});

/** `GET /v1/models`: the model this server answers with, and its state. */
export function modelsRoute(app: DocSight) {
  return defineRoute({
    method: 'GET',
    url: '/v1/models',
    tag: 'OpenAI-compatible',
    summary: 'The model answering chat completions, with its state',
    responses: {
      200: {
        description: 'OpenAI model list',
        schema: z.object({ object: z.literal('list'), data: z.array(modelSchema) }),
      },
    },
    async handler() {
      let state: z.infer<typeof modelSchema>['state'];
      let detail: string | undefined;
      try {
        const status = await app.engine().engine.status();
        const load = modelLoadState(app);
        if (status.ready) state = 'ready';
        else if (load.state === 'failed') {
          state = 'failed';
          detail = load.reason;
        } else {
          // `docsight serve` loads the model at start-up; elsewhere it loads on the first request.
          state = 'loading';
          detail = load.state === 'loading' ? 'loading the model' : 'loads on the first request';
        }
        detail ??= status.detail;
      } catch (err) {
        state = isDocSightError(err, 'MODEL_MISSING') ? 'absent' : 'failed';
        detail = describeError(err);
      }
      // A download of the model this server answers with (POST /api/models/{name}/pull) comes first.
      const download = downloadsInProgress(app).get(servedModelName(app.config));
      if (download && state !== 'ready') {
        state = 'downloading';
        detail = `downloading: ${download.percent} %`;
      }
      return {
        object: 'list',
        data: [
          {
            id: servedModelName(app.config),
            object: 'model',
            created: 0,
            owned_by: 'docsight',
            state,
            detail,
            ...(download && state === 'downloading' ? { percent: download.percent } : {}),
          },
        ],
      };
    },
  });
}
