import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { DocSightError } from '../../errors.js';
import {
  withImagesInline,
  type ChatDelta,
  type ChatRequest,
  type EngineStatus,
  type FinishReason,
  type VisionLanguageEngine,
} from '../vision-language-engine.js';
import { formatChatMl } from './chat-format.js';
import type { GenerateResult, ToWorker, WorkerGenerateRequest } from './engine-protocol.js';
import { validateModelFiles, type ValidatedModel } from '../../models/model-validator.js';
import { nativeCpuMismatch } from '../../native/native-addon.js';
import { WorkerProcessClient } from '../../native/worker-process-client.js';

/**
 * The in-process llama.cpp backend of {@link VisionLanguageEngine}: Qwen3-VL in a worker process that owns the native llama.cpp addon.
 * Requests run one at a time (one model, one KV cache); text streams back token by token. A native
 * crash kills only the worker: the request in flight fails with ENGINE_FAILED and a new worker is
 * started and loaded for the next request.
 */

export interface LlamaEngineOptions {
  model: string;
  mmproj: string;
  /** CPU threads for llama.cpp; default: all cores. */
  threads?: number;
  /** Context length in tokens (prompt + image positions + answer). */
  nCtx?: number;
  /** Default pixel budget: the long side images are scaled down to (0: use images as given). */
  imageMaxSide?: number;
  /** Upper bound on tokens per image inside the vision encoder (-1: the model's own). */
  imageMaxTokens?: number;
  /** Check the files before loading them (default true). Turning it off is for crash tests only. */
  validate?: boolean;
  /** Worker restarts allowed per minute before the engine gives up (default 5). */
  maxRestartsPerMinute?: number;
}

/** The shared request, plus what only this backend offers. Temperature 0 (default) is greedy. */
export interface LlamaChatRequest extends ChatRequest {
  /** Pixel budget for this request's images (long side); default the engine's. */
  imageMaxSide?: number;
  /** Generate exactly maxTokens tokens (benchmarks). */
  ignoreEos?: boolean;
}

/**
 * The shared ChatStats, every one of them known here, and the rest of the worker's counters (the
 * engine implementing VisionLanguageEngine checks that these fit ChatStats).
 */
export interface LlamaChatStats extends GenerateResult {
  /** Wall time from the call to the first text, as the caller saw it. */
  firstTextMs: number;
  totalMs: number;
}

/** The shared deltas; the final one always carries this backend's timings and counters. */
export type LlamaChatDelta =
  { type: 'text'; text: string } | (Extract<ChatDelta, { type: 'done' }> & { stats: LlamaChatStats });

const FINISH: Record<GenerateResult['stopReason'], FinishReason> = {
  eos: 'stop',
  stop: 'stop',
  length: 'length',
  abort: 'cancelled',
};

/** A queue a producer pushes into and an async iterator drains. */
class EventQueue<T> {
  private items: T[] = [];
  private waiting?: () => void;
  private error?: unknown;
  private closed = false;
  push(item: T): void {
    this.items.push(item);
    this.waiting?.();
  }
  fail(error: unknown): void {
    this.error = error;
    this.closed = true;
    this.waiting?.();
  }
  close(): void {
    this.closed = true;
    this.waiting?.();
  }
  async *drain(): AsyncGenerator<T> {
    for (;;) {
      if (this.items.length > 0) {
        yield this.items.shift()!;
        continue;
      }
      if (this.error !== undefined) throw this.error;
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
  }
}

export class LlamaEngine implements VisionLanguageEngine {
  private readonly worker = new WorkerProcessClient<ToWorker>({
    module: new URL('./engine-worker.js', import.meta.url),
    notRunning: 'the engine process is not running',
    ensureStarted: () => this.start(),
    onExit: (how) => this.onExit(how),
  });
  private workerReady?: Promise<void>;
  private restarts: number[] = [];
  private closed = false;
  private everLoaded = false;
  private readonly options: Required<LlamaEngineOptions>;
  /** Set once start() has validated the files. */
  validated?: ValidatedModel;
  /** Times the worker was restarted after dying. */
  restartCount = 0;
  loadMs = 0;

  constructor(options: LlamaEngineOptions) {
    this.options = {
      threads: availableParallelism(),
      nCtx: 8192,
      imageMaxSide: 0,
      imageMaxTokens: -1,
      validate: true,
      maxRestartsPerMinute: 5,
      ...options,
    };
  }

  /** The worker's process id (tests use it to check restarts). */
  get pid(): number | undefined {
    return this.worker.pid;
  }

  /** Validates the model files, starts the worker and loads the model. Idempotent. */
  async start(): Promise<void> {
    if (this.closed) throw new DocSightError('ENGINE_FAILED', 'the engine is closed');
    const mismatch = nativeCpuMismatch();
    if (mismatch) throw new DocSightError('ENGINE_FAILED', mismatch);
    if (this.options.validate && !this.validated) {
      this.validated = await validateModelFiles({ model: this.options.model, mmproj: this.options.mmproj });
    }
    this.workerReady ??= this.spawn();
    return this.workerReady;
  }

  private spawn(): Promise<void> {
    const child = this.worker.start();
    const ready = this.worker
      .call<{ loadMs: number }>({
        kind: 'load',
        id: 0,
        options: {
          model: this.options.model,
          mmproj: this.options.mmproj,
          nCtx: this.options.nCtx,
          threads: this.options.threads,
          imageMaxTokens: this.options.imageMaxTokens,
        },
      })
      .then(
        (r) => {
          this.loadMs = r.loadMs;
          this.everLoaded = true;
        },
        (err: unknown) => {
          this.workerReady = undefined;
          this.worker.stop(child);
          throw err;
        },
      );
    return ready;
  }

  /** The worker died: restarts it unless it never loaded; returns what the requests in flight are told. */
  private onExit(how: string): DocSightError {
    const wasLoading = !this.everLoaded;
    this.workerReady = undefined;
    if (!this.closed && !wasLoading) this.restart();
    return new DocSightError(
      'ENGINE_FAILED',
      wasLoading
        ? `The engine process ${how} while loading ${this.options.model}: the model files are corrupt or unsupported. Re-download them.`
        : `The engine process ${how} during the request; it is being restarted. Retry the request.`,
    );
  }

  /** Starts a new worker after a crash, at most maxRestartsPerMinute times a minute. */
  private restart(): void {
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < 60_000);
    if (this.restarts.length >= this.options.maxRestartsPerMinute) return; // next start() retries
    this.restarts.push(now);
    this.restartCount++;
    this.workerReady = this.spawn();
    this.workerReady.catch(() => {}); // surfaced to the next caller through start()
  }

  /**
   * Streams an answer. Images in `messages` are decoded, scaled to the pixel budget and encoded
   * once; a follow-up that repeats the same conversation prefix (same images) reuses the KV cache.
   *
   * @example
   *   for await (const d of engine.chat({ messages: [{ role: 'user', content: 'Summarise.' }], images: [page] })) {
   *     if (d.type === 'text') process.stdout.write(d.text);
   *   }
   */
  async *chat(request: LlamaChatRequest): AsyncGenerator<LlamaChatDelta> {
    const maxTokens = request.maxTokens ?? 512;
    if (!Number.isInteger(maxTokens) || maxTokens < 1) {
      throw new DocSightError('BAD_REQUEST', `maxTokens must be a positive integer (got ${maxTokens})`);
    }
    let messages;
    try {
      messages = withImagesInline(request);
    } catch (err) {
      throw new DocSightError('BAD_REQUEST', (err as Error).message);
    }
    const { prompt, images } = formatChatMl(messages, '<__media__>');
    const req: WorkerGenerateRequest = {
      prompt,
      images: images.map((im) => im.png),
      imageMaxSide: request.imageMaxSide ?? this.options.imageMaxSide,
      maxTokens,
      temperature: request.temperature ?? 0,
      topP: request.topP ?? 1,
      seed: request.seed ?? 0,
      stop: request.stop ?? [],
      jsonSchema: request.jsonSchema,
      ignoreEos: request.ignoreEos ?? false,
    };
    const queue = new EventQueue<LlamaChatDelta>();
    const t0 = performance.now();
    let firstTextMs = -1;
    const abort = (): void => {
      this.worker.notify({ kind: 'abort' });
    };
    const done = this.worker.serialize(async () => {
      if (request.signal?.aborted) throw new DocSightError('CANCELLED', 'the request was cancelled');
      await this.start();
      request.signal?.addEventListener('abort', abort);
      try {
        const result = await this.worker.call<GenerateResult>(
          { kind: 'generate', id: 0, request: req },
          (text) => {
            if (firstTextMs < 0) firstTextMs = performance.now() - t0;
            queue.push({ type: 'text', text });
          },
        );
        queue.push({
          type: 'done',
          finishReason: FINISH[result.stopReason],
          usage: {
            promptTokens: result.promptItems - result.imagesEncoded + result.imageTokens,
            completionTokens: result.generatedTokens,
            cachedTokens: result.reusedTokens,
          },
          stats: { ...result, firstTextMs, totalMs: performance.now() - t0 },
        });
        queue.close();
      } finally {
        request.signal?.removeEventListener('abort', abort);
      }
    });
    done.catch((err: unknown) => queue.fail(err));
    let finished = false;
    try {
      for await (const ev of queue.drain()) {
        if (ev.type === 'done') finished = true;
        yield ev;
      }
    } finally {
      if (!finished) {
        abort(); // the consumer stopped reading: stop generating, then let the next request in
        await done.catch(() => {});
      }
    }
  }

  /** Collects a whole answer (convenience over chat()). */
  async complete(request: LlamaChatRequest): Promise<{ text: string; stats: LlamaChatStats }> {
    let text = '';
    for await (const ev of this.chat(request)) {
      if (ev.type === 'text') text += ev.text;
      else return { text, stats: ev.stats };
    }
    throw new DocSightError('ENGINE_FAILED', 'the engine ended without a result');
  }

  /** Saves the KV cache (with the identities of the images in it) to `path` and `path`.items. */
  saveState(path: string): Promise<number> {
    return this.worker.request<number>({ kind: 'saveState', id: 0, path });
  }

  /** Restores a saved KV cache: a request on the same prefix then skips what it covers. */
  loadState(path: string): Promise<number> {
    return this.worker.request<number>({ kind: 'loadState', id: 0, path });
  }

  async clearCache(): Promise<void> {
    await this.worker.request({ kind: 'clearCache', id: 0 });
  }

  /** llama.cpp's system info line (SIMD features compiled in), from the worker. */
  systemInfo(): Promise<string> {
    return this.worker.request<string>({ kind: 'systemInfo', id: 0 });
  }

  async status(): Promise<EngineStatus> {
    const ready = this.everLoaded && this.worker.connected;
    return {
      backend: 'llama',
      ready,
      model: basename(this.options.model),
      detail: ready ? `in-process llama.cpp, ${this.options.threads} threads` : 'not loaded',
    };
  }

  /** Peak resident memory of the worker process (the model, KV cache and buffers), in kB. */
  peakRssKb(): Promise<number> {
    return this.worker.peakRssKb();
  }

  /** Stops the worker; pending requests fail with ENGINE_FAILED. */
  async close(): Promise<void> {
    this.closed = true;
    await this.worker.close();
  }
}

/** @example const engine = createLlamaEngine({ model, mmproj }); await engine.start(); */
export function createLlamaEngine(options: LlamaEngineOptions): LlamaEngine {
  return new LlamaEngine(options);
}
