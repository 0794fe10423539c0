/**
 * The one interface every vision-language backend implements: the in-process llama.cpp engine and any
 * OpenAI-compatible upstream (llama-server, Ollama, vLLM). Tasks, the image-state cache and the HTTP API are
 * written against this, never against a backend.
 */

/** An image ready for the encoder (see images/prepare-image.ts): PNG bytes and their pixel identity. */
export interface EngineImage {
  png: Buffer;
  sha256: string;
}

export type MessagePart = { type: 'text'; text: string } | { type: 'image'; image: EngineImage };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | MessagePart[];
}

export interface ChatRequest {
  messages: ChatMessage[];
  /** Shorthand: images placed before the text of the first user message (where Qwen3-VL reads best). */
  images?: EngineImage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  /** Constrain the output to JSON matching this schema. */
  jsonSchema?: Record<string, unknown>;
  signal?: AbortSignal;
}

export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens (image included) taken from a cache instead of being evaluated. */
  cachedTokens?: number;
}

/**
 * Where an answer's time went, as far as the backend can tell: a local engine knows every stage, an
 * upstream only what the client sees. Callers show what is there and never ask which backend answered.
 */
export interface ChatStats {
  /** Images run through the vision encoder (0 when the image state came from a cache). */
  imagesEncoded?: number;
  /** Prompt positions the images take. */
  imageTokens?: number;
  /** Vision encoder time, ms. */
  encodeMs?: number;
  /** Prompt evaluation time (text and image embeddings), ms. */
  prefillMs?: number;
  /** Token generation time, ms. */
  decodeMs?: number;
  generatedTokens?: number;
  /** Wall time from the call to the first text, ms. */
  firstTextMs?: number;
  /** Wall time of the whole call, ms. */
  totalMs?: number;
}

export type FinishReason = 'stop' | 'length' | 'cancelled';

export type ChatDelta =
  | { type: 'text'; text: string }
  | {
      type: 'done';
      finishReason: FinishReason;
      usage?: ChatUsage;
      stats?: ChatStats;
      /** Whether the image state was restored from the image-state cache (set by chatWithImageCache). */
      cacheHit?: boolean;
    };

export interface EngineStatus {
  backend: 'llama' | 'openai';
  ready: boolean;
  /** The model answering, as the backend names it. */
  model?: string;
  detail?: string;
}

export interface VisionLanguageEngine {
  chat(request: ChatRequest): AsyncIterable<ChatDelta>;
  status(): Promise<EngineStatus>;
  close(): Promise<void>;
}

/** Messages with the `images` shorthand folded into the first user message. */
export function withImagesInline(request: Pick<ChatRequest, 'messages' | 'images'>): ChatMessage[] {
  const images = request.images ?? [];
  if (images.length === 0) return request.messages;
  const index = request.messages.findIndex((m) => m.role === 'user');
  if (index < 0) throw new RangeError('Images need a user message to go with.');
  return request.messages.map((message, i) => {
    if (i !== index) return message;
    const parts: MessagePart[] =
      typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
    return { ...message, content: [...images.map((image) => ({ type: 'image' as const, image })), ...parts] };
  });
}

/** Collects a streamed answer into one string (for callers that do not stream). */
export async function collectText(
  stream: AsyncIterable<ChatDelta>,
): Promise<{ text: string; done?: ChatDelta }> {
  let text = '';
  let done: ChatDelta | undefined;
  for await (const delta of stream) {
    if (delta.type === 'text') text += delta.text;
    else done = delta;
  }
  return { text, done };
}
