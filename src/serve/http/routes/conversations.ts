import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  createConversation,
  deleteConversation,
  getConversation,
  listConversations,
  readConversationImage,
  renameConversation,
  sendMessage,
  type ChatEvent,
} from '../../../app/chat.js';
import type { DocSight } from '../../../app/docsight.js';
import { imageMimeType, type ImageInput } from '../../../app/page-images.js';
import { DocSightError } from '../../../errors.js';
import type {
  ConversationDetail,
  ConversationImage,
  ConversationMessage,
  ConversationRecord,
} from '../../../store/library-store.js';
import { clientGoneSignal, streamAnswer } from '../event-stream.js';
import { imageBytes } from '../image-data-url.js';
import { readMultipartForm } from '../multipart-form.js';
import { accessOf } from '../request-access.js';
import { defineRoute, parseOrThrow } from '../route.js';
import { snakeCaseKeys } from '../snake-case.js';

/** An image for a conversation: inline bytes as a data URL (a PDF's page with `page`), or a library page. */
const imageRef = z.union([
  z
    .object({
      data_url: z.string().min(1),
      name: z.string().min(1).max(256).optional(),
      /** The page of a PDF or multi-page TIFF (default 1). */
      page: z.int().min(1).optional(),
    })
    .strict(),
  z.object({ document_id: z.int().min(1), page: z.int().min(1) }).strict(),
]);
type ImageRef = z.infer<typeof imageRef>;

const newConversationSchema = z
  .object({ title: z.string().max(200).optional(), images: z.array(imageRef).optional() })
  .strict();

const messageSchema = z
  .object({
    text: z.string().max(20_000).optional(),
    images: z.array(imageRef).optional(),
    task: z.enum(['extract', 'summarize', 'ask', 'fields']).optional(),
    /** fields: the JSON Schema the answer must match. */
    schema: z.record(z.string(), z.unknown()).optional(),
    /** fields: a ready-made schema instead of `schema`. */
    preset: z.enum(['receipt', 'invoice', 'contract']).optional(),
    /** Image token budget of the conversation; only its first message sets it. */
    budget: z.int().min(16).max(4096).optional(),
    max_tokens: z.int().min(1).max(4096).optional(),
    /** Server-sent events (default) or one JSON answer. */
    stream: z.boolean().optional(),
  })
  .strict()
  .refine((m) => !(m.schema && m.preset), { message: 'give schema or preset, not both', path: ['preset'] });
type MessageBody = z.infer<typeof messageSchema>;

const idParams = z.object({ id: z.string().min(1).max(100) });

const imageJson = (conversationId: string, image: ConversationImage) => ({
  sha256: image.sha256,
  name: image.name,
  document_id: image.documentId,
  page: image.page,
  url: `/api/conversations/${encodeURIComponent(conversationId)}/images/${image.sha256}`,
});

const conversationJson = (c: ConversationRecord) => ({
  id: c.id,
  title: c.title,
  budget: c.budget,
  message_count: c.messageCount,
  created_at: new Date(c.createdAt).toISOString(),
  updated_at: new Date(c.updatedAt).toISOString(),
});

const messageJson = (conversationId: string, m: ConversationMessage) => ({
  seq: m.seq,
  role: m.role,
  text: m.text,
  task: m.task,
  stats: snakeCaseKeys(m.stats ?? undefined) ?? null,
  images: m.images.map((image) => imageJson(conversationId, image)),
  created_at: new Date(m.createdAt).toISOString(),
});

/** A conversation as the API shows it: the people's and the model's messages (task instructions left out). */
const detailJson = (d: ConversationDetail) => ({
  ...conversationJson(d),
  messages: d.messages.filter((m) => m.role !== 'system').map((m) => messageJson(d.id, m)),
  waiting_images: d.waitingImages.map((image) => imageJson(d.id, image)),
});

const recordSchema = z.object({
  id: z.string(),
  title: z.string(),
  budget: z.int().nullable(),
  message_count: z.int(),
  created_at: z.string(),
  updated_at: z.string(),
});

function toImageInputs(refs: ImageRef[], param: string): ImageInput[] {
  return refs.map((ref, i): ImageInput => {
    if ('document_id' in ref) return { documentId: ref.document_id, page: ref.page };
    return {
      bytes: imageBytes(ref.data_url, `${param}.${i}.data_url`),
      name: ref.name ?? `image ${i + 1}`,
      page: ref.page,
    };
  });
}

/**
 * The body of a request that may come as JSON or as multipart/form-data: a form's text fields become the same
 * fields (numbers and `stream` parsed, `schema` and `images` as JSON text), its files images in order.
 */
async function jsonOrForm<T extends { images?: ImageRef[] }>(
  app: DocSight,
  request: FastifyRequest,
  schema: z.ZodType<T>,
  json: T | undefined,
): Promise<{ body: T; uploads: ImageInput[] }> {
  if (!request.isMultipart()) return { body: json ?? ({} as T), uploads: [] };
  const form = await readMultipartForm(request, {
    maxFileBytes: app.config.intake.maxFileBytes,
    maxFiles: app.config.server.maxImagesPerRequest,
    maxFieldBytes: app.config.server.maxJsonBytes,
  });
  const fields: Record<string, unknown> = { ...form.fields };
  for (const name of ['budget', 'max_tokens'])
    if (fields[name] !== undefined) fields[name] = Number(fields[name]);
  if (fields.stream !== undefined) fields.stream = fields.stream !== 'false';
  for (const name of ['schema', 'images']) {
    if (typeof fields[name] !== 'string') continue;
    try {
      fields[name] = JSON.parse(fields[name]);
    } catch {
      throw new DocSightError('BAD_REQUEST', `The form field "${name}" is not valid JSON.`, { param: name });
    }
  }
  const body = parseOrThrow(schema, fields, 'form');
  const uploads = form.files.map((f): ImageInput => ({ bytes: f.bytes, name: f.name }));
  return { body, uploads };
}

function checkImageCount(app: DocSight, count: number): void {
  const max = app.config.server.maxImagesPerRequest;
  if (count > max) {
    throw new DocSightError(
      'BAD_REQUEST',
      `At most ${max} images per request (server.maxImagesPerRequest); send fewer.`,
      { param: 'images' },
    );
  }
}

type Done = Extract<ChatEvent, { type: 'done' }>;

const doneJson = (conversationId: string, done: Done) => {
  if (done.finishReason === 'cancelled') {
    throw new DocSightError('CANCELLED', 'The server stopped this generation (shutting down); try again.');
  }
  return {
    finish_reason: done.finishReason,
    ...(done.usage ? { usage: snakeCaseKeys(done.usage) } : {}),
    stats: snakeCaseKeys(done.stats)!,
    ...(done.fields !== undefined ? { fields: done.fields } : {}),
    messages: done.turn.filter((m) => m.role !== 'system').map((m) => messageJson(conversationId, m)),
  };
};

/**
 * The conversation routes that take uploads (JSON, or multipart/form-data with image files): they are
 * registered in a scope where @fastify/multipart parses forms (server.ts).
 */
export function conversationUploadRoutes(app: DocSight) {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/conversations',
      tag: 'Conversations',
      summary:
        'Start a conversation about images: JSON `{title?, images?: [{data_url} | {document_id, page}]}`, or ' +
        'multipart/form-data with `title` and image files',
      body: newConversationSchema.optional(),
      responses: {
        201: { description: 'The conversation', schema: recordSchema },
        400: { description: 'Invalid request (names the field)' },
        413: { description: 'An image is larger than intake.maxFileBytes' },
      },
      async handler({ body: json, request }) {
        const { body, uploads } = await jsonOrForm(app, request, newConversationSchema, json);
        const images = [...toImageInputs(body.images ?? [], 'images'), ...uploads];
        checkImageCount(app, images.length);
        return conversationJson(
          await createConversation(app, { title: body.title, images }, accessOf(request)),
        );
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/conversations/:id/messages',
      tag: 'Conversations',
      summary:
        'Send a message (text, optional images, optional task) and get the answer, streamed as server-sent ' +
        'events unless `stream: false`; JSON or multipart/form-data with image files',
      params: idParams,
      body: messageSchema.optional(),
      responses: {
        200: {
          description:
            'Server-sent events: `{"type":"text","text"}` pieces, then `{"type":"done","finish_reason",' +
            '"stats","messages"}` (stats.images_encoded is 0 when the image state was reused), or `{"error"}`. ' +
            'With `stream: false`: `{"answer","finish_reason","stats","fields"?,"messages"}`.',
        },
        400: { description: 'Invalid request (names the field)' },
        404: { description: "No such conversation (another key's is not shown to a collection-scoped key)" },
        429: {
          description: 'The conversation is still answering its previous message, or every slot is busy',
        },
        503: { description: 'The model is not available (the message says how to get it)' },
      },
      async handler({ body: json, params, request, reply }) {
        const { body, uploads } = await jsonOrForm<MessageBody>(app, request, messageSchema, json);
        const images = [...toImageInputs(body.images ?? [], 'images'), ...uploads];
        checkImageCount(app, images.length);
        const controller = new AbortController();
        const events = sendMessage(
          app,
          params.id,
          {
            text: body.text,
            images,
            task: body.task,
            schema: body.schema ?? body.preset,
            budget: body.budget,
            maxTokens: body.max_tokens,
            signal: controller.signal,
          },
          accessOf(request),
        );

        if (body.stream === false) {
          clientGoneSignal(reply).addEventListener('abort', () => controller.abort());
          let answer = '';
          for await (const event of events) {
            if (event.type === 'text') answer += event.text;
            else return { answer, ...doneJson(params.id, event) };
          }
          throw new DocSightError('ENGINE_FAILED', 'The engine ended without finishing its answer.');
        }

        // A busy conversation, a missing model or a bad image is still an ordinary HTTP error (429, 503, 400).
        await streamAnswer(reply, events, controller, {
          firstEventTimeoutMs: app.config.server.requestTimeoutMs,
          frames: (event) => [
            event.type === 'text'
              ? { type: 'text', text: event.text }
              : { type: 'done', ...doneJson(params.id, event) },
          ],
        });
        return undefined;
      },
    }),
  ];
}

/** The conversation routes that read, rename and delete: JSON only. */
export function conversationRoutes(app: DocSight) {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/conversations',
      tag: 'Conversations',
      summary: 'List conversations, most recently active first',
      query: z.object({
        limit: z.coerce.number().int().min(1).max(200).default(50),
        offset: z.coerce.number().int().min(0).default(0),
      }),
      responses: {
        200: { description: 'Conversations', schema: z.object({ conversations: z.array(recordSchema) }) },
      },
      async handler({ query, request }) {
        const list = await listConversations(app, query, accessOf(request));
        return { conversations: list.map(conversationJson) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/conversations/:id',
      tag: 'Conversations',
      summary: 'A conversation: its messages with their stats and images, and images waiting for a message',
      params: idParams,
      responses: {
        200: { description: 'The conversation' },
        404: { description: "No such conversation (another key's is not shown to a collection-scoped key)" },
      },
      async handler({ params, request }) {
        return detailJson(await getConversation(app, params.id, accessOf(request)));
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/conversations/:id/images/:sha256',
      tag: 'Conversations',
      summary: "One of a conversation's images, as given or rendered (for a page viewer)",
      params: z.object({ id: z.string().min(1).max(100), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
      responses: {
        200: { description: 'The image bytes', contentType: 'image/*' },
        404: { description: 'No such conversation, or no such image in it' },
      },
      async handler({ params, request, reply }) {
        const bytes = await readConversationImage(app, params.id, params.sha256, accessOf(request));
        reply
          .type(imageMimeType(bytes))
          .header('x-content-type-options', 'nosniff')
          // Content-addressed: the bytes behind this URL never change.
          .header('cache-control', 'private, max-age=31536000, immutable');
        return bytes;
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/conversations/:id',
      tag: 'Conversations',
      summary: 'Rename a conversation',
      params: idParams,
      body: z.object({ title: z.string() }).strict(),
      responses: {
        200: { description: 'The conversation' },
        400: { description: 'A title that is empty or longer than 200 characters' },
        404: { description: "No such conversation (another key's is not shown to a collection-scoped key)" },
      },
      async handler({ params, body, request }) {
        return detailJson(await renameConversation(app, params.id, body.title, accessOf(request)));
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/conversations/:id',
      tag: 'Conversations',
      summary: 'Delete a conversation and the images nothing else uses',
      params: idParams,
      responses: {
        204: { description: 'Deleted' },
        404: { description: "No such conversation (another key's is not shown to a collection-scoped key)" },
      },
      async handler({ params, request }) {
        await deleteConversation(app, params.id, accessOf(request));
        return undefined;
      },
    }),
  ];
}
