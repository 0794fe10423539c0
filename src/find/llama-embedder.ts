import { DocSightError } from '../errors.js';
import { nativeCpuMismatch, type NativeEmbedResult } from '../native/native-addon.js';
import { WorkerProcessClient } from '../native/worker-process-client.js';
import type { ToEmbedWorker } from './embed-worker.js';
import type { Embedder } from './embedder.js';
import { inspectEmbeddingModel, type EmbeddingModelFile } from './embedding-model-file.js';

/**
 * The {@link Embedder} over an embedding GGUF (Qwen3-Embedding-0.6B by default) on DocSight's own
 * llama.cpp addon. The addon runs in a child process (src/find/embed-worker.ts): a native abort
 * fails the call in flight with ENGINE_FAILED and the next call starts a new process.
 */

/** The instruction Qwen3-Embedding was trained to see before a retrieval query (documents get none). */
export const QWEN3_EMBEDDING_QUERY_INSTRUCTION =
  'Given a web search query, retrieve relevant passages that answer the query';

/**
 * A query as Qwen3-Embedding expects it: `Instruct: {task}\nQuery:{query}`.
 *
 * @example formatEmbeddingQuery('vat invoice'); // 'Instruct: Given a web search query, …\nQuery:vat invoice'
 */
export function formatEmbeddingQuery(query: string, instruction = QWEN3_EMBEDDING_QUERY_INSTRUCTION): string {
  return `Instruct: ${instruction}\nQuery:${query}`;
}

export interface LlamaEmbedderOptions {
  /** Path of the embedding GGUF. */
  model: string;
  /** CPU threads for llama.cpp (default 1: ingestion already runs pages in parallel). */
  threads?: number;
  /** Longest text in tokens (longer ones are cut, and reported); also the KV cache shared by a group. */
  nCtx?: number;
  /** Tokens per llama_decode call. */
  nBatch?: number;
  /** Texts evaluated together as separate sequences. */
  nSeqMax?: number;
  /** Instruction put before queries; null embeds queries as they are. */
  queryInstruction?: string | null;
  /** llama.cpp's own pooling instead of the addon's LAST pooling (slower; for comparisons). */
  llamaPooling?: boolean;
}

export interface EmbedDetails extends NativeEmbedResult {
  /** Indices of the texts that were longer than the context and cut to it. */
  truncated: number[];
  /** CPU time of the embedding process for the call (all threads), ms. */
  cpuMs: number;
}

export interface EmbedderLoadInfo {
  loadMs: number;
  nCtx: number;
  dimensions: number;
  pooling: string;
  /** Whether the GGUF itself asks for the end-of-text token (older Qwen3-Embedding files do not). */
  modelAddsEos: boolean;
  /** LAST pooling read by the addon at each text's last token (no LM head over every token). */
  ownLastPooling: boolean;
  /** The token appended to every text for LAST pooling, e.g. `<|endoftext|>`. */
  endToken: string;
}

export class LlamaEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  /** Texts cut to the context since this embedder was opened. */
  truncatedTexts = 0;
  loadInfo?: EmbedderLoadInfo;
  private readonly worker = new WorkerProcessClient<ToEmbedWorker>({
    module: new URL('./embed-worker.js', import.meta.url),
    notRunning: 'the embedding process is not running',
    ensureStarted: () => this.start(),
    onExit: (how) => this.onExit(how),
  });
  private ready?: Promise<EmbedderLoadInfo>;
  /** Whether the running process has loaded the model (it decides what a crash is blamed on). */
  private loaded = false;
  private closed = false;

  private constructor(
    readonly file: EmbeddingModelFile,
    private readonly options: LlamaEmbedderOptions,
  ) {
    this.model = file.id;
    this.dimensions = file.dimensions;
  }

  /** Checks the model file (no process yet); the model loads on first use or `start()`. */
  static async open(options: LlamaEmbedderOptions): Promise<LlamaEmbedder> {
    return new LlamaEmbedder(await inspectEmbeddingModel(options.model), options);
  }

  /** The embedding process's id (tests use it to check restarts). */
  get pid(): number | undefined {
    return this.worker.pid;
  }

  /** Starts the embedding process and loads the model; idempotent. */
  start(): Promise<EmbedderLoadInfo> {
    if (this.closed) return Promise.reject(new DocSightError('ENGINE_FAILED', 'the embedder is closed'));
    const mismatch = nativeCpuMismatch();
    if (mismatch) return Promise.reject(new DocSightError('ENGINE_FAILED', mismatch));
    this.ready ??= this.spawn();
    return this.ready;
  }

  private spawn(): Promise<EmbedderLoadInfo> {
    this.loaded = false;
    const child = this.worker.start();
    return this.worker
      .call<EmbedderLoadInfo>({
        kind: 'load',
        id: 0,
        options: {
          model: this.options.model,
          threads: this.options.threads ?? 1,
          nCtx: this.options.nCtx ?? 2048,
          nBatch: this.options.nBatch ?? 256,
          nSeqMax: this.options.nSeqMax ?? 16,
          llamaPooling: this.options.llamaPooling ?? false,
        },
      })
      .then(
        (info) => {
          this.loaded = true;
          if (info.dimensions !== this.dimensions) {
            throw new DocSightError(
              'MODEL_INVALID',
              `${this.options.model} gives ${info.dimensions}-dimensional vectors but its metadata says ${this.dimensions}.`,
            );
          }
          this.loadInfo = info;
          return info;
        },
        (err: unknown) => {
          this.ready = undefined;
          this.worker.stop(child);
          throw err;
        },
      );
  }

  /** The process died: the next call starts a new one; returns what the calls in flight are told. */
  private onExit(how: string): DocSightError {
    this.ready = undefined;
    return new DocSightError(
      'ENGINE_FAILED',
      this.loaded
        ? `The embedding process ${how}; the next call starts a new one. Retry.`
        : `The embedding process ${how} while loading ${this.options.model}: the file is corrupt or unsupported. Download it again.`,
    );
  }

  /**
   * Embeds texts with per-call details: token counts, which texts were cut to the context, time.
   * Queries get the model's instruction in front; documents are embedded as they are.
   */
  embedDetailed(texts: string[], kind: 'query' | 'document'): Promise<EmbedDetails> {
    const instruction =
      this.options.queryInstruction === undefined
        ? QWEN3_EMBEDDING_QUERY_INSTRUCTION
        : this.options.queryInstruction;
    const prepared =
      kind === 'query' && instruction !== null
        ? texts.map((t) => formatEmbeddingQuery(t, instruction))
        : texts;
    return this.worker.serialize(async () => {
      await this.start();
      const r = await this.worker.call<NativeEmbedResult & { cpuMs: number }>({
        kind: 'embed',
        id: 0,
        texts: prepared,
      });
      const truncated = r.tokenCounts.flatMap((n, i) => (n < r.originalTokenCounts[i]! ? [i] : []));
      this.truncatedTexts += truncated.length;
      return { ...r, truncated };
    });
  }

  /**
   * @example
   *   const embedder = await LlamaEmbedder.open({ model: 'Qwen3-Embedding-0.6B-Q8_0.gguf' });
   *   const [v] = await embedder.embed(['增值税发票'], 'query'); // Float32Array(1024), unit length
   */
  async embed(texts: string[], kind: 'query' | 'document'): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    return (await this.embedDetailed(texts, kind)).vectors;
  }

  /** Peak resident memory of the embedding process, in kB. */
  peakRssKb(): Promise<number> {
    return this.worker.peakRssKb();
  }

  /** Stops the embedding process; calls in flight fail with ENGINE_FAILED. */
  async close(): Promise<void> {
    this.closed = true;
    await this.worker.close();
  }
}
