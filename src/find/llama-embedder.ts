import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DocSightError, type ErrorCode } from '../errors.js';
import type { FromWorker } from '../understand/engine/engine-protocol.js';
import { nativeCpuMismatch, type NativeEmbedResult } from '../understand/engine/native-addon.js';
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

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

const workerEntry = (): { path: string; execArgv: string[] } => {
  const url = new URL(
    import.meta.url.endsWith('.ts') ? './embed-worker.ts' : './embed-worker.js',
    import.meta.url,
  );
  // From sources (tests, tsx) the worker needs tsx's loader; the built dist/ is plain JS.
  return { path: fileURLToPath(url), execArgv: url.pathname.endsWith('.ts') ? ['--import', 'tsx'] : [] };
};

export class LlamaEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  /** Texts cut to the context since this embedder was opened. */
  truncatedTexts = 0;
  loadInfo?: EmbedderLoadInfo;
  private worker?: ChildProcess;
  private ready?: Promise<EmbedderLoadInfo>;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private tail: Promise<unknown> = Promise.resolve();
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
    return this.worker?.pid;
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
    const entry = workerEntry();
    const child = fork(entry.path, [], {
      execArgv: entry.execArgv,
      serialization: 'advanced', // Float32Arrays cross as bytes
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.worker = child;
    let loaded = false;
    child.on('message', (msg: FromWorker) => this.onMessage(msg));
    child.on('exit', (code, signal) => {
      if (this.worker !== child) return;
      this.worker = undefined;
      this.ready = undefined;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const err = new DocSightError(
        'ENGINE_FAILED',
        loaded
          ? `The embedding process ${how}; the next call starts a new one. Retry.`
          : `The embedding process ${how} while loading ${this.options.model}: the file is corrupt or unsupported. Download it again.`,
      );
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
    return this.call<EmbedderLoadInfo>({
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
    }).then(
      (info) => {
        loaded = true;
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
        if (this.worker === child) child.kill();
        throw err;
      },
    );
  }

  private call<T>(msg: ToEmbedWorker): Promise<T> {
    const worker = this.worker;
    if (!worker?.connected)
      return Promise.reject(new DocSightError('ENGINE_FAILED', 'the embedding process is not running'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.send({ ...msg, id });
    });
  }

  private onMessage(msg: FromWorker): void {
    const p = this.pending.get(msg.id);
    if (!p || msg.kind === 'piece') return;
    this.pending.delete(msg.id);
    if (msg.kind === 'done') p.resolve(msg.value);
    else p.reject(new DocSightError(msg.code as ErrorCode, msg.message));
  }

  /** Runs `fn` after every earlier call: one model, one batch at a time. */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => {});
    return run;
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
    return this.serialize(async () => {
      await this.start();
      const r = await this.call<NativeEmbedResult & { cpuMs: number }>({
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
    return this.serialize(async () => {
      await this.start();
      return (await this.call<{ peakRssKb: number }>({ kind: 'usage', id: 0 })).peakRssKb;
    });
  }

  /** Stops the embedding process; calls in flight fail with ENGINE_FAILED. */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    if (!w) return;
    await new Promise<void>((resolve) => {
      w.once('exit', () => resolve());
      w.kill();
    });
  }
}
