import { DocSightError } from '../errors.js';
import { DEFAULT_TOKEN_BUDGET } from '../understand/images/token-budget.js';
import type { ChatMessage, EngineImage, MessagePart } from '../understand/vision-language-engine.js';
import { DEFAULT_MAX_TOKENS } from './ask.js';
import type { DocSight } from './docsight.js';
import { answerWithEngine, type AnswerEvent } from './engine-answer.js';
import { fitToBudget, loadPageSource, type ImageInput } from './page-images.js';

/** A message as a client wrote it (an OpenAI-style chat): text, and images as bytes or library pages. */
export interface InputMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ({ type: 'text'; text: string } | { type: 'image'; image: ImageInput })[];
}

export interface MessagesInput {
  messages: InputMessage[];
  /** Constrain the answer to JSON matching this schema; it is checked before `done` (INVALID_OUTPUT). */
  jsonSchema?: Record<string, unknown>;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  /** Image token budget of every image (default: the ask task's, 256). */
  budget?: number;
  signal?: AbortSignal;
}

/**
 * A free-form chat with images, as an OpenAI-compatible client sends it (the whole conversation each time),
 * answered by the configured engine and streamed. Images that open the first user message — where clients
 * put them — go through the image-state cache, so a client resending the conversation with a new question
 * does not have the image encoded again.
 *
 * @example
 *   const events = answerMessages(app, {
 *     messages: [{ role: 'user', content: [{ type: 'image', image: { bytes, name: 'page.png' } }, { type: 'text', text: 'Total?' }] }],
 *     signal: abortedWhenTheClientDisconnects,
 *   });
 */
export async function* answerMessages(app: DocSight, input: MessagesInput): AsyncGenerator<AnswerEvent> {
  if (!input.messages.some((m) => m.role === 'user')) {
    throw new DocSightError('BAD_REQUEST', 'The messages need at least one from the user.');
  }
  app.engine(); // a missing or broken model is reported before any image is read
  const budget = input.budget ?? DEFAULT_TOKEN_BUDGET.ask;
  const firstUser = input.messages.findIndex((m) => m.role === 'user');
  const messages: ChatMessage[] = [];
  let images: EngineImage[] = [];
  for (const [index, message] of input.messages.entries()) {
    if (typeof message.content === 'string') {
      messages.push({ role: message.role, content: message.content });
      continue;
    }
    const parts: MessagePart[] = [];
    for (const part of message.content) {
      if (part.type === 'text') parts.push(part);
      else {
        const source = await loadPageSource(app, part.image);
        parts.push({ type: 'image', image: await fitToBudget(app, source.bytes, budget) });
      }
    }
    if (index === firstUser) {
      // Leading images as the request's `images`: the same prompt, and what the image-state cache keys on.
      const leading = parts.findIndex((p) => p.type !== 'image');
      const cut = leading < 0 ? parts.length : leading;
      images = parts.slice(0, cut).map((p) => (p as Extract<MessagePart, { type: 'image' }>).image);
      parts.splice(0, cut);
      if (parts.length === 0) parts.push({ type: 'text', text: '' });
    }
    messages.push({ role: message.role, content: parts });
  }
  const request = {
    messages,
    images,
    jsonSchema: input.jsonSchema,
    maxTokens: input.maxTokens ?? DEFAULT_MAX_TOKENS,
    temperature: input.temperature ?? 0,
    topP: input.topP,
    stop: input.stop,
    seed: input.seed,
    signal: input.signal,
  };
  yield* answerWithEngine(app, request, { budget });
}
