import { z } from 'zod';
import {
  askLibrary,
  MAX_ASK_PAGES,
  type AskLibraryEvent,
  type Citation,
  type LibraryPassage,
} from '../../../app/ask-library.js';
import type { DocSight } from '../../../app/docsight.js';
import { DocSightError } from '../../../errors.js';
import { clientGoneSignal, streamAnswer } from '../event-stream.js';
import { startRequestDeadline } from '../request-deadline.js';
import { defineRoute } from '../route.js';
import { snakeCaseKeys } from '../snake-case.js';

const askRequestSchema = z
  .object({
    query: z.string().trim().min(1).max(4000),
    collection: z.string().min(1).optional(),
    /** A document id: ask about that document only. */
    document: z.int().min(1).optional(),
    /** Pages to read, best first. */
    k: z.int().min(1).max(MAX_ASK_PAGES).optional(),
    max_tokens: z.int().min(1).max(4096).optional(),
    /** Server-sent events (default) or one JSON answer. */
    stream: z.boolean().optional(),
  })
  .strict();

const quad = z.array(z.number()).length(8);
const passageSchema = z.object({
  number: z.int(),
  document_id: z.int(),
  document_name: z.string(),
  pages: z.array(z.int()),
  score: z.number(),
  text: z.string(),
  lines: z.array(z.object({ page: z.int(), text: z.string(), box: quad, matches: z.boolean() })),
});
const citationSchema = z.object({
  document_id: z.int(),
  document_name: z.string(),
  page: z.int(),
  boxes: z.array(quad),
  quote: z.string(),
  passage: z.int(),
});
const askResponseSchema = z.object({
  answer: z.string().nullable(),
  reason: z.string().optional(),
  note: z.string().optional(),
  passages: z.array(passageSchema),
  citations: z.array(citationSchema),
  finish_reason: z.enum(['stop', 'length']).optional(),
  stats: z.record(z.string(), z.unknown()),
});

export const passageJson = (p: LibraryPassage): z.infer<typeof passageSchema> => ({
  number: p.number,
  document_id: p.documentId,
  document_name: p.documentName,
  pages: p.pages,
  score: p.score,
  text: p.text,
  lines: p.lines,
});

export const citationJson = (c: Citation): z.infer<typeof citationSchema> => ({
  document_id: c.documentId,
  document_name: c.documentName,
  page: c.page,
  boxes: c.boxes,
  quote: c.quote,
  passage: c.passage,
});

type Done = Extract<AskLibraryEvent, { type: 'done' }>;

/** A finish the client can be told about; a cancelled generation was stopped by the server (shutdown). */
function finishReason(done: Done): 'stop' | 'length' | undefined {
  if (done.finishReason === 'cancelled') {
    throw new DocSightError('CANCELLED', 'The server stopped this generation (shutting down); try again.');
  }
  return done.finishReason;
}

const doneJson = (done: Done) => ({
  answer: done.answer,
  ...(done.reason ? { reason: done.reason } : {}),
  citations: done.citations.map(citationJson),
  ...(done.finishReason ? { finish_reason: finishReason(done) } : {}),
  ...(done.usage ? { usage: snakeCaseKeys(done.usage) } : {}),
  stats: snakeCaseKeys(done.stats)!,
});

/**
 * `POST /api/ask`: a question about the library, answered from the pages search finds, with citations. Streams
 * `{"type":"passages"}`, `{"type":"text"}` …, `{"type":"done"}` frames (or `{"error":…}`), or answers in one
 * JSON body with `stream: false`.
 */
export function askRoute(app: DocSight) {
  return defineRoute({
    method: 'POST',
    url: '/api/ask',
    tag: 'Ask',
    summary: 'Ask a question about the library: retrieved passages, a streamed answer, citations',
    body: askRequestSchema,
    responses: {
      200: {
        description:
          'With `stream: false`, the answer. Otherwise server-sent events: `{"type":"passages","passages"}`, ' +
          '`{"type":"text","text"}` pieces, then `{"type":"done","answer","citations","stats"}`, or `{"error"}`. ' +
          'Without a ready model: the passages, `answer: null` and a `reason` saying how to get one.',
        schema: askResponseSchema,
      },
      400: { description: 'Invalid request (names the field)' },
      404: { description: 'No such document (or the key may not see it)' },
      429: { description: 'Every slot and the queue are busy (Retry-After)' },
    },
    async handler({ body, request, reply }) {
      const controller = new AbortController();
      const events = askLibrary(app, {
        query: body.query,
        collection: body.collection,
        documentId: body.document,
        k: body.k,
        maxTokens: body.max_tokens,
        signal: controller.signal,
        access: request.access!,
      });

      if (body.stream === false) {
        clientGoneSignal(reply).addEventListener('abort', () => controller.abort());
        const deadline = startRequestDeadline(controller, app.config.server.requestTimeoutMs);
        let passages: LibraryPassage[] = [];
        let note: string | undefined;
        try {
          for await (const event of events) {
            if (event.type === 'passages') ({ passages, note } = event);
            else if (event.type === 'done') {
              if (deadline.expired) throw deadline.explain(undefined);
              return { ...doneJson(event), ...(note ? { note } : {}), passages: passages.map(passageJson) };
            }
          }
        } catch (err) {
          throw deadline.explain(err);
        } finally {
          deadline.clear();
        }
        throw new DocSightError('ENGINE_FAILED', 'The answer ended without finishing.');
      }

      // The passages (after the search) come first: a bad filter or an unknown document is still an ordinary
      // HTTP error rather than an error inside a 200 stream.
      await streamAnswer(reply, events, controller, {
        firstEventTimeoutMs: app.config.server.requestTimeoutMs,
        frames: (event) => {
          if (event.type === 'passages') {
            return [
              {
                type: 'passages',
                passages: event.passages.map(passageJson),
                ...(event.note ? { note: event.note } : {}),
              },
            ];
          }
          return [event.type === 'text' ? event : { type: 'done', ...doneJson(event) }];
        },
      });
      return undefined;
    },
  });
}
