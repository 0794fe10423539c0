import { DocSightError } from '../../errors.js';
import {
  withImagesInline,
  type ChatDelta,
  type ChatMessage,
  type ChatRequest,
  type ChatStats,
  type EngineStatus,
  type FinishReason,
  type VisionLanguageEngine,
} from '../vision-language-engine.js';
import { readServerSentEvents } from './server-sent-events.js';

export interface OpenAiEngineOptions {
  /** One or more upstreams (llama-server, Ollama, vLLM), e.g. `http://gpu1:8080/v1`; requests rotate over them. */
  baseUrls: string[];
  apiKey?: string;
  /** The model name sent upstream. */
  model: string;
  /** How long an upstream that failed is skipped, ms. */
  cooldownMs?: number;
  /** Time allowed to connect and receive response headers, ms. */
  connectTimeoutMs?: number;
}

interface Upstream {
  base: string;
  downUntil: number;
  lastError?: string;
}

/** Accepts `http://host:8080`, `http://host:8080/` or `http://host:8080/v1` alike. */
export function normaliseBaseUrl(url: string): string {
  const trimmed = url.trim().replace(/\/+$/, '');
  return trimmed.endsWith('/v1') ? trimmed : `${trimmed}/v1`;
}

/** OpenAI wire format: images travel as `image_url` parts with data URLs. */
function toWireMessages(messages: ChatMessage[]): unknown[] {
  return messages.map((message) => ({
    role: message.role,
    content:
      typeof message.content === 'string'
        ? message.content
        : message.content.map((part) =>
            part.type === 'text'
              ? { type: 'text', text: part.text }
              : {
                  type: 'image_url',
                  image_url: { url: `data:image/png;base64,${part.image.png.toString('base64')}` },
                },
          ),
  }));
}

interface WireChunk {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number };
  };
  error?: { message?: string };
}

function finishReasonOf(reason: string | null | undefined): FinishReason {
  return reason === 'length' ? 'length' : 'stop';
}

/**
 * A VisionLanguageEngine that forwards to OpenAI-compatible servers: the route to GPUs and clusters.
 * Requests rotate round-robin over healthy upstreams; one that refuses a connection or answers 5xx before
 * streaming is skipped for `cooldownMs` and the request moves on to the next.
 *
 * @example
 *   const engine = createOpenAiEngine({ baseUrls: ['http://gpu1:8080', 'http://gpu2:8080'], model: 'qwen3-vl-2b' });
 *   for await (const delta of engine.chat({ messages: [{ role: 'user', content: 'Hi' }] })) ...
 */
export function createOpenAiEngine(options: OpenAiEngineOptions): VisionLanguageEngine {
  if (options.baseUrls.length === 0) throw new DocSightError('BAD_CONFIG', 'Give at least one upstream URL.');
  const upstreams: Upstream[] = options.baseUrls.map((url) => ({
    base: normaliseBaseUrl(url),
    downUntil: 0,
  }));
  const cooldownMs = options.cooldownMs ?? 30_000;
  let cursor = 0;

  const headers = (): Record<string, string> => ({
    'content-type': 'application/json',
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
  });

  /** Healthy upstreams in rotation order, starting after the last one used; down ones last as a fallback. */
  const rotation = (): Upstream[] => {
    const start = cursor++ % upstreams.length;
    const ordered = [...upstreams.slice(start), ...upstreams.slice(0, start)];
    const now = Date.now();
    return [...ordered.filter((u) => u.downUntil <= now), ...ordered.filter((u) => u.downUntil > now)];
  };

  const markDown = (upstream: Upstream, reason: string) => {
    upstream.downUntil = Date.now() + cooldownMs;
    upstream.lastError = reason;
  };

  async function open(request: ChatRequest): Promise<Response> {
    const body = JSON.stringify({
      model: options.model,
      messages: toWireMessages(withImagesInline(request)),
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: request.maxTokens,
      temperature: request.temperature,
      top_p: request.topP,
      stop: request.stop,
      seed: request.seed,
      ...(request.jsonSchema
        ? {
            response_format: {
              type: 'json_schema',
              json_schema: { name: 'output', schema: request.jsonSchema },
            },
          }
        : {}),
    });
    const failures: string[] = [];
    for (const upstream of rotation()) {
      const connect = AbortSignal.timeout(options.connectTimeoutMs ?? 30_000);
      const signal = request.signal ? AbortSignal.any([request.signal, connect]) : connect;
      let response: Response;
      try {
        response = await fetch(`${upstream.base}/chat/completions`, {
          method: 'POST',
          headers: headers(),
          body,
          signal,
        });
      } catch (err) {
        if (request.signal?.aborted) throw new DocSightError('CANCELLED', 'Request cancelled.');
        const reason = `${upstream.base}: ${(err as Error).cause ?? (err as Error).message}`;
        markDown(upstream, reason);
        failures.push(reason);
        continue;
      }
      if (response.status >= 500) {
        const reason =
          `${upstream.base}: HTTP ${response.status} ${await response.text().catch(() => '')}`.trim();
        markDown(upstream, reason);
        failures.push(reason);
        continue;
      }
      if (!response.ok) {
        // 4xx is about the request, not the upstream: another upstream would say the same.
        const text = await response.text().catch(() => '');
        let message = text;
        try {
          message = (JSON.parse(text) as WireChunk).error?.message ?? text;
        } catch {
          // not JSON: keep the text
        }
        throw new DocSightError('BAD_REQUEST', `The upstream model server refused the request: ${message}`);
      }
      return response;
    }
    throw new DocSightError('ENGINE_FAILED', `No upstream model server answered: ${failures.join('; ')}`);
  }

  return {
    async *chat(request) {
      const t0 = performance.now();
      const response = await open(request);
      if (!response.body) throw new DocSightError('ENGINE_FAILED', 'The upstream answered without a body.');
      let finish: FinishReason | undefined;
      let usage: Extract<ChatDelta, { type: 'done' }>['usage'];
      // Only what the client sees: the upstream does not say where its time went.
      let firstTextMs: number | undefined;
      const stats = (): ChatStats => ({ firstTextMs, totalMs: performance.now() - t0 });
      try {
        for await (const data of readServerSentEvents(
          response.body as unknown as AsyncIterable<Uint8Array>,
        )) {
          if (data === '[DONE]') break;
          const chunk = JSON.parse(data) as WireChunk;
          if (chunk.error) throw new DocSightError('ENGINE_FAILED', `Upstream error: ${chunk.error.message}`);
          const choice = chunk.choices?.[0];
          const text = choice?.delta?.content;
          if (text) {
            firstTextMs ??= performance.now() - t0;
            yield { type: 'text', text };
          }
          if (choice?.finish_reason) finish = finishReasonOf(choice.finish_reason);
          if (chunk.usage) {
            usage = {
              promptTokens: chunk.usage.prompt_tokens ?? 0,
              completionTokens: chunk.usage.completion_tokens ?? 0,
              cachedTokens: chunk.usage.prompt_tokens_details?.cached_tokens,
            };
          }
        }
      } catch (err) {
        if (request.signal?.aborted) {
          yield { type: 'done', finishReason: 'cancelled', usage, stats: stats() };
          return;
        }
        throw err instanceof DocSightError
          ? err
          : new DocSightError('ENGINE_FAILED', `The upstream stream broke: ${(err as Error).message}`);
      }
      yield { type: 'done', finishReason: finish ?? 'stop', usage, stats: stats() };
    },

    async status(): Promise<EngineStatus> {
      const results = await Promise.all(
        upstreams.map(async (upstream) => {
          try {
            const response = await fetch(`${upstream.base}/models`, {
              headers: headers(),
              signal: AbortSignal.timeout(5000),
            });
            if (!response.ok) throw new Error(`HTTP ${response.status}`);
            await response.body?.cancel();
            upstream.downUntil = 0;
            return `${upstream.base} ok`;
          } catch (err) {
            markDown(upstream, (err as Error).message);
            return `${upstream.base} down (${(err as Error).message})`;
          }
        }),
      );
      const ready = upstreams.some((u) => u.downUntil === 0);
      return { backend: 'openai', ready, model: options.model, detail: results.join('; ') };
    },

    async close() {
      // Nothing held open: fetch connections are pooled by the runtime.
    },
  };
}
