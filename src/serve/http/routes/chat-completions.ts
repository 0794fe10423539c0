import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  completeChat,
  type CompletionMessage,
  type CompletionPart,
  type ResponseFormat,
} from '../../../app/complete-chat.js';
import type { DocSight } from '../../../app/docsight.js';
import { servedModelName } from '../../../app/served-model.js';
import { DocSightError } from '../../../errors.js';
import type { ChatDelta, ChatUsage } from '../../../understand/vision-language-engine.js';
import { clientGoneSignal, streamAnswer } from '../event-stream.js';
import { imageBytes } from '../image-data-url.js';
import type { ServerMetrics } from '../metrics.js';
import { startRequestDeadline } from '../request-deadline.js';
import { fetchRemoteImage, type RemoteImagePolicy } from '../remote-image/fetch-remote-image.js';
import { defineRoute } from '../route.js';

const textPart = z.object({ type: z.literal('text'), text: z.string() }).strict();
const imagePart = z
  .object({
    type: z.literal('image_url'),
    image_url: z
      .object({
        /**
         * `data:image/png;base64,…`, or `docsight://pages/<document_id>/<page>` for a library page; http(s) URLs
         * only for hosts the operator allowed (server.remoteImages.allow), fetched by the server.
         */
        url: z.string().min(1),
        detail: z.enum(['low', 'high', 'auto']).optional(),
      })
      .strict(),
  })
  .strict();
const name = z.string().max(256).optional();

const messageSchema = z.discriminatedUnion('role', [
  z.object({
    role: z.enum(['system', 'developer']),
    content: z.union([z.string(), z.array(textPart)]),
    name,
  }),
  z
    .object({
      role: z.literal('user'),
      content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textPart, imagePart]))]),
      name,
    })
    .strict(),
  z
    .object({
      role: z.literal('assistant'),
      content: z.union([z.string(), z.array(textPart), z.null()]).optional(),
      name,
      refusal: z.string().nullable().optional(),
    })
    .strict(),
]);

const tokens = z.int().min(1).max(32_768).nullable().optional();

/**
 * OpenAI's chat completion request, as far as a local vision-language model can honour it. Fields a client may
 * send that change nothing here (`user`, penalties of 0, `n` of 1, `logprobs` false) are accepted; anything
 * else unknown is a 400 naming the field, as OpenAI answers — silently ignoring a field hides a client bug.
 */
export const chatCompletionRequestSchema = z
  .object({
    model: z.string().min(1),
    messages: z.array(messageSchema).min(1),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).strict().nullable().optional(),
    max_tokens: tokens,
    max_completion_tokens: tokens,
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().gt(0).max(1).nullable().optional(),
    stop: z
      .union([z.string(), z.array(z.string()).max(4)])
      .nullable()
      .optional(),
    seed: z.int().nullable().optional(),
    response_format: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('text') }),
        z.object({ type: z.literal('json_object') }),
        z
          .object({
            type: z.literal('json_schema'),
            json_schema: z
              .object({
                name: z.string().min(1).max(64),
                description: z.string().optional(),
                schema: z.record(z.string(), z.unknown()).optional(),
                strict: z.boolean().nullable().optional(),
              })
              .strict(),
          })
          .strict(),
      ])
      .optional(),
    n: z.literal(1).nullable().optional(),
    user: z.string().optional(),
    frequency_penalty: z.literal(0).nullable().optional(),
    presence_penalty: z.literal(0).nullable().optional(),
    logprobs: z.literal(false).nullable().optional(),
  })
  .strict();

type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

const usageSchema = z.object({
  prompt_tokens: z.int(),
  completion_tokens: z.int(),
  total_tokens: z.int(),
  prompt_tokens_details: z.object({ cached_tokens: z.int() }),
});

const chatCompletionSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.int(),
      message: z.object({ role: z.literal('assistant'), content: z.string(), refusal: z.null() }),
      finish_reason: z.enum(['stop', 'length']),
      logprobs: z.null(),
    }),
  ),
  usage: usageSchema,
});

const LIBRARY_PAGE = /^docsight:\/\/pages\/(\d+)\/(\d+)$/;

/** A `docsight://pages/<document_id>/<page>` URL as a library page; undefined for any other scheme. */
function libraryPageRef(url: string, param: string): { documentId: number; page: number } | undefined {
  if (!url.startsWith('docsight:')) return undefined;
  const match = LIBRARY_PAGE.exec(url);
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) {
    throw new DocSightError(
      'BAD_REQUEST',
      'A library page is named docsight://pages/<document_id>/<page>, e.g. docsight://pages/12/3.',
      { param },
    );
  }
  return { documentId: Number(match[1]), page: Number(match[2]) };
}

/** How image URLs become bytes: data URLs always, http(s) URLs only for hosts in server.remoteImages.allow. */
export interface ImageSources {
  remote: RemoteImagePolicy;
  signal: AbortSignal;
  /** TESTS ONLY, see fetchRemoteImage. */
  testOnlyAddressPolicy?: (address: string) => boolean;
}

async function imageFromUrl(url: string, param: string, sources: ImageSources): Promise<Uint8Array> {
  if (sources.remote.allow.length > 0 && /^https?:/i.test(url)) {
    return fetchRemoteImage(url, sources.remote, {
      param,
      signal: sources.signal,
      testOnlyAddressPolicy: sources.testOnlyAddressPolicy,
    });
  }
  return imageBytes(url, param);
}

/** The request's messages for the application, with images decoded (or fetched) and counted against the limit. */
async function toCompletionMessages(
  body: ChatCompletionRequest,
  maxImages: number,
  sources: ImageSources,
): Promise<CompletionMessage[]> {
  let images = 0;
  const messages = body.messages.map(async (message, i): Promise<CompletionMessage> => {
    const role = message.role === 'developer' ? 'system' : message.role;
    const content = message.content ?? '';
    if (typeof content === 'string') return { role, content };
    const parts = content.map(async (part, j): Promise<CompletionPart> => {
      if (part.type === 'text') return part;
      if (++images > maxImages) {
        throw new DocSightError(
          'BAD_REQUEST',
          `At most ${maxImages} images per request (server.maxImagesPerRequest); send fewer.`,
          { param: `messages.${i}.content.${j}` },
        );
      }
      const param = `messages.${i}.content.${j}.image_url.url`;
      const detail = part.image_url.detail ?? 'auto';
      const page = libraryPageRef(part.image_url.url, param);
      return page
        ? { type: 'image', page, detail }
        : { type: 'image', bytes: await imageFromUrl(part.image_url.url, param, sources), detail };
    });
    return { role, content: await Promise.all(parts) };
  });
  return Promise.all(messages);
}

function responseFormat(body: ChatCompletionRequest): ResponseFormat | undefined {
  const format = body.response_format;
  if (format?.type !== 'json_schema') return format;
  // A json_schema without a schema constrains to JSON only, as OpenAI does.
  return format.json_schema.schema
    ? { type: 'json_schema', schema: format.json_schema.schema }
    : { type: 'json_object' };
}

const toUsage = (usage: ChatUsage | undefined): z.infer<typeof usageSchema> => {
  const prompt = usage?.promptTokens ?? 0;
  const completion = usage?.completionTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: usage?.cachedTokens ?? 0 },
  };
};

/** A finish the client can be told about; a cancelled generation was stopped by the server (shutdown). */
function finishReason(done: Extract<ChatDelta, { type: 'done' }>): 'stop' | 'length' {
  if (done.finishReason === 'cancelled') {
    throw new DocSightError('CANCELLED', 'The server stopped this generation (shutting down); try again.');
  }
  return done.finishReason;
}

/** The deltas, passed through, timed for the metrics: time to the first text and the decode rate. */
async function* timed(
  metrics: Pick<ServerMetrics, 'observeGeneration'>,
  deltas: AsyncIterable<ChatDelta>,
): AsyncGenerator<ChatDelta> {
  const start = performance.now();
  let firstText: number | undefined;
  for await (const delta of deltas) {
    if (delta.type === 'text') firstText ??= performance.now();
    else if (delta.finishReason !== 'cancelled') {
      metrics.observeGeneration({
        firstTextMs: firstText === undefined ? undefined : firstText - start,
        completionTokens: delta.usage?.completionTokens ?? 0,
        decodeMs: firstText === undefined ? undefined : performance.now() - firstText,
      });
    }
    yield delta;
  }
}

/** `POST /v1/chat/completions`: OpenAI's chat API, streamed or not, with image parts. */
export function chatCompletionsRoute(
  app: DocSight,
  metrics: Pick<ServerMetrics, 'observeGeneration'>,
  options: { testOnlyAddressPolicy?: (address: string) => boolean } = {},
) {
  return defineRoute({
    method: 'POST',
    url: '/v1/chat/completions',
    tag: 'OpenAI-compatible',
    summary: 'Chat with the vision-language model (OpenAI chat completions; images as data URLs)',
    body: chatCompletionRequestSchema,
    responses: {
      200: {
        description:
          'The answer; with `stream: true`, server-sent `chat.completion.chunk` events then `[DONE]`',
        schema: chatCompletionSchema,
      },
      400: { description: 'Invalid request (names the field)' },
      422: { description: 'The answer did not match the requested JSON schema' },
      429: { description: 'Every slot and the queue are busy (Retry-After)' },
      503: { description: 'The model is not available (the message says how to get it)' },
      504: { description: 'The generation ran out of time' },
    },
    async handler({ body, request, reply }) {
      const { maxMessagesPerRequest } = app.config.server;
      if (body.messages.length > maxMessagesPerRequest) {
        throw new DocSightError(
          'BAD_REQUEST',
          `At most ${maxMessagesPerRequest} messages per request (server.maxMessagesPerRequest); ` +
            `this one has ${body.messages.length}: drop or summarise the oldest turns.`,
          { param: 'messages' },
        );
      }
      const controller = new AbortController();
      const messages = await toCompletionMessages(body, app.config.server.maxImagesPerRequest, {
        remote: app.config.server.remoteImages,
        signal: clientGoneSignal(reply),
        testOnlyAddressPolicy: options.testOnlyAddressPolicy,
      });
      const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
      const created = Math.floor(Date.now() / 1000);
      const model = servedModelName(app.config);
      const deltas = timed(
        metrics,
        completeChat(app, {
          messages,
          maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
          temperature: body.temperature ?? undefined,
          topP: body.top_p ?? undefined,
          stop: typeof body.stop === 'string' ? [body.stop] : (body.stop ?? undefined),
          seed: body.seed ?? undefined,
          responseFormat: responseFormat(body),
          signal: controller.signal,
          access: request.access!,
        }),
      );

      if (!body.stream) {
        clientGoneSignal(reply).addEventListener('abort', () => controller.abort());
        const deadline = startRequestDeadline(controller, app.config.server.requestTimeoutMs);
        let content = '';
        let done: Extract<ChatDelta, { type: 'done' }> | undefined;
        let finish: 'stop' | 'length';
        try {
          for await (const delta of deltas) {
            if (delta.type === 'text') content += delta.text;
            else done = delta;
          }
          if (!done)
            throw new DocSightError('ENGINE_FAILED', 'The engine ended without finishing its answer.');
          finish = finishReason(done);
        } catch (err) {
          throw deadline.explain(err);
        } finally {
          deadline.clear();
        }
        return {
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content, refusal: null },
              finish_reason: finish,
              logprobs: null,
            },
          ],
          usage: toUsage(done!.usage),
        };
      }

      const chunk = (delta: object, finish: 'stop' | 'length' | null) => ({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      });
      await streamAnswer(reply, deltas, controller, {
        start: [chunk({ role: 'assistant', content: '' }, null)],
        frames: (delta) => {
          if (delta.type === 'text') return [chunk({ content: delta.text }, null)];
          const last = chunk({}, finishReason(delta));
          if (!body.stream_options?.include_usage) return [last];
          return [
            last,
            { id, object: 'chat.completion.chunk', created, model, choices: [], usage: toUsage(delta.usage) },
          ];
        },
        end: ['[DONE]'],
        firstEventTimeoutMs: app.config.server.requestTimeoutMs,
      });
      return undefined;
    },
  });
}
