import { DocSightError } from '../errors.js';
import { openDocument } from '../read/intake/index.js';
import { prepareImage } from '../understand/images/prepare-image.js';
import { fitToBudget, loadPageSource } from './page-images.js';
import type { ChatMessage, EngineImage, MessagePart } from '../understand/vision-language-engine.js';
import { canSee, FULL_ACCESS, type Access } from './access.js';
import type { DocSight } from './docsight.js';
import { answerWithEngine, type AnswerEvent } from './engine-answer.js';

/**
 * How many image tokens each OpenAI `detail` buys. Encoding cost grows faster than the token count
 * (token-budget.ts), so `auto` is the budget a question about a page needs, `low` a thumbnail's and `high`
 * a transcription's.
 */
export const DETAIL_TOKEN_BUDGET = { low: 64, auto: 256, high: 1024 } as const;
export type ImageDetail = keyof typeof DETAIL_TOKEN_BUDGET;

export type CompletionPart =
  | { type: 'text'; text: string }
  | { type: 'image'; bytes: Uint8Array; detail: ImageDetail }
  /** A page of the library (`docsight://pages/<document>/<page>`): its stored image, if the caller may see it. */
  | { type: 'image'; page: { documentId: number; page: number }; detail: ImageDetail };

export interface CompletionMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | CompletionPart[];
}

export type ResponseFormat =
  { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; schema: Record<string, unknown> };

export interface CompletionRequest {
  messages: CompletionMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  responseFormat?: ResponseFormat;
  signal?: AbortSignal;
  /** Whose request: library pages it names must be visible to it. Default full access (the CLI). */
  access?: Access;
}

/**
 * An image part as the encoder takes it: the type sniffed from the bytes and the pixel limit checked before
 * decoding (intake), a PDF or TIFF as its first page, then scaled to the part's token budget.
 */
async function engineImage(
  app: DocSight,
  bytes: Uint8Array,
  detail: ImageDetail,
  name: string,
): Promise<EngineImage> {
  const doc = await openDocument(bytes, name, app.config.intake);
  try {
    const source = doc.kind === 'pdf' || doc.pageCount > 1 ? await (await doc.page(1)).renderPng(150) : bytes;
    const prepared = await prepareImage(source, {
      maxTokens: DETAIL_TOKEN_BUDGET[detail],
      maxPixels: app.config.intake.maxPixels,
    });
    return { png: prepared.png, sha256: prepared.sha256 };
  } finally {
    await doc.close();
  }
}

/**
 * A library page's stored image at the part's budget. A page the caller may not see is NOT_FOUND, as one that
 * does not exist: a scoped key learns nothing about other collections.
 */
async function libraryPageImage(
  app: DocSight,
  ref: { documentId: number; page: number },
  detail: ImageDetail,
  access: Access,
): Promise<EngineImage> {
  const document = await app.library().store.getDocument(ref.documentId);
  if (!document || !canSee(access, document.collection)) {
    throw new DocSightError(
      'NOT_FOUND',
      `There is no page ${ref.page} of document ${ref.documentId} in the library.`,
    );
  }
  const source = await loadPageSource(app, ref);
  return fitToBudget(app, source.bytes, DETAIL_TOKEN_BUDGET[detail]);
}

/** The messages with their image parts decoded and prepared, in order. */
async function engineMessages(
  app: DocSight,
  messages: CompletionMessage[],
  access: Access,
): Promise<ChatMessage[]> {
  let imageNumber = 0;
  const out: ChatMessage[] = [];
  for (const message of messages) {
    if (typeof message.content === 'string') {
      out.push({ role: message.role, content: message.content });
      continue;
    }
    const parts: MessagePart[] = [];
    for (const part of message.content) {
      if (part.type === 'text') parts.push(part);
      else if ('page' in part)
        parts.push({ type: 'image', image: await libraryPageImage(app, part.page, part.detail, access) });
      else
        parts.push({
          type: 'image',
          image: await engineImage(app, part.bytes, part.detail, `image ${++imageNumber}`),
        });
    }
    out.push({ role: message.role, content: parts });
  }
  return out;
}

/** The JSON Schema the answer must match: the given one, or any JSON object for `json_object`. */
function jsonSchemaOf(format: ResponseFormat | undefined): Record<string, unknown> | undefined {
  if (format?.type === 'json_schema') return format.schema;
  if (format?.type === 'json_object') return { type: 'object' };
  return undefined;
}

/**
 * A chat completion as OpenAI's API defines it — messages with text and image parts in, a streamed answer out
 * — answered by the configured engine behind its scheduler (admission, timeouts, cancellation through
 * `signal`). With a response format, the model is constrained to JSON and the finished answer is checked
 * against the schema here: an answer that does not match is an INVALID_OUTPUT error, never a success with bad
 * JSON (the llama-server bug users hit, FACTS.md).
 *
 * @example
 *   for await (const delta of completeChat(app, { messages: [{ role: 'user', content: 'Hi' }] })) ...
 */
export async function* completeChat(app: DocSight, request: CompletionRequest): AsyncGenerator<AnswerEvent> {
  const messages = await engineMessages(app, request.messages, request.access ?? FULL_ACCESS);
  if (!messages.some((m) => m.role === 'user')) {
    throw new DocSightError('BAD_REQUEST', 'messages needs at least one user message.');
  }
  const { images, rest } = leadingImages(messages);
  // Through the image-state cache (answerWithEngine): a client resending the conversation with a new question
  // gets the image from the saved state, not encoded again. The budget is part of the images' identity already.
  yield* answerWithEngine(
    app,
    {
      messages: rest,
      images,
      maxTokens: request.maxTokens,
      temperature: request.temperature,
      topP: request.topP,
      stop: request.stop,
      seed: request.seed,
      jsonSchema: jsonSchemaOf(request.responseFormat),
      signal: request.signal,
    },
    { budget: DETAIL_TOKEN_BUDGET.auto },
  );
}

/**
 * The images that open the first user message (where clients put them) as the request's `images`: the same
 * prompt (the engine puts them back there), and what the image-state cache keys on.
 */
function leadingImages(messages: ChatMessage[]): { images: EngineImage[]; rest: ChatMessage[] } {
  const index = messages.findIndex((m) => m.role === 'user');
  const first = messages[index]!;
  if (typeof first.content === 'string') return { images: [], rest: messages };
  const cut = first.content.findIndex((p) => p.type !== 'image');
  const leading = first.content.slice(0, cut < 0 ? first.content.length : cut);
  const images = leading.map((p) => (p as Extract<MessagePart, { type: 'image' }>).image);
  const content = first.content.slice(leading.length);
  const rest = messages.map((m, i) =>
    i === index ? { ...m, content: content.length ? content : [{ type: 'text' as const, text: '' }] } : m,
  );
  return { images, rest };
}
