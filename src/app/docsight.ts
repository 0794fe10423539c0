import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { createInteractiveGate, type InteractiveGate } from './interactive-gate.js';
import type { LlamaEmbedder } from '../find/llama-embedder.js';
import { openConfiguredEmbedder } from '../find/open-configured-embedder.js';
import type { OcrEngine } from '../read/ocr/engine.js';
import { createLazyOcrEngine } from '../read/read-document.js';
import { openLibrary, type Library } from '../store/library.js';
import { createConfiguredEngine, type ConfiguredEngine } from '../understand/create-engine.js';
import { ImageStateCache, modelIdentity } from '../understand/image-cache/image-state-cache.js';

/**
 * The application: every long-lived resource of one DocSight process, created once and handed to the use
 * cases in this folder (`ocr.ts`, `ingest.ts`, `documents.ts`, `search.ts`, `ask.ts`, `chat.ts`, …). The CLI,
 * the HTTP API and the WebUI are thin shells over those functions; nothing in a shell decides anything.
 *
 * Resources that cost time or memory to start — the OCR models, the vision-language engine, the embedder, the
 * image-state cache — start on first use, so a process that only lists documents never loads a model, and a
 * server is up before its models are. `close()` closes whatever was started, in reverse order.
 */
export interface DocSight {
  readonly config: Config;
  /** The document library (SQLite + blobs under `config.home`), opened on first use. */
  library(): Library;
  /**
   * The OCR engine shared by every use case: a pool of `ocr.workers` worker-thread engines (or one in-process
   * engine with `ocrThread: 'main'`), each loading its models when a page first needs it.
   */
  readonly ocr: OcrEngine;
  /**
   * Calls `listener` with the wall seconds of every page the shared OCR engine reads (waiting for a free
   * engine included), for the server's metrics; returns the function that stops it.
   */
  onOcrPage(listener: (seconds: number) => void): () => void;
  /**
   * The vision-language engine behind its scheduler, created on first use; throws MODEL_MISSING /
   * MODEL_INVALID (with the command that fixes it) when the configured model cannot be used.
   */
  engine(): ConfiguredEngine;
  /** The image-state cache for the local model; undefined for an upstream backend or a cache size of 0. */
  imageStateCache(): Promise<ImageStateCache | undefined>;
  /** Running questions; background ingestion waits for them between pages (`library.yieldToQuestions`). */
  readonly interactive: InteractiveGate;
  /** The embedder `library.embeddingModel` names, started on first use; undefined when none is configured. */
  embedder(): Promise<LlamaEmbedder | undefined>;
  close(): Promise<void>;
}

export interface DocSightOptions {
  /** Where the OCR models run: a worker thread (servers, long ingestion) or this thread (one-shot commands). */
  ocrThread?: 'worker' | 'main';
}

/**
 * @example
 *   const app = createDocSight(loadConfig());
 *   try {
 *     const { results } = await search(app, { query: '增值税发票', k: 5 });
 *   } finally {
 *     await app.close();
 *   }
 */
export function createDocSight(config: Config, options: DocSightOptions = {}): DocSight {
  let library: Library | undefined;
  let engine: ConfiguredEngine | undefined;
  let cache: Promise<ImageStateCache | undefined> | undefined;
  let embedder: Promise<LlamaEmbedder | undefined> | undefined;
  const interactive = createInteractiveGate();
  const pool = createLazyOcrEngine(config.ocr, { thread: options.ocrThread ?? 'worker' });
  const ocrListeners = new Set<(seconds: number) => void>();
  const ocr: OcrEngine = {
    async recognize(image, callOptions) {
      const start = performance.now();
      const result = await pool.recognize(image, callOptions);
      const seconds = (performance.now() - start) / 1000;
      for (const listener of ocrListeners) listener(seconds);
      return result;
    },
    close: () => pool.close(),
  };
  let closed = false;
  const open = (): void => {
    if (closed) throw new Error('This DocSight was closed; create a new one.');
  };

  return {
    config,
    ocr,
    onOcrPage(listener) {
      ocrListeners.add(listener);
      return () => ocrListeners.delete(listener);
    },
    interactive,
    library() {
      open();
      return (library ??= openLibrary(config.home));
    },
    engine() {
      open();
      return (engine ??= createConfiguredEngine(config));
    },
    imageStateCache() {
      open();
      return (cache ??= (async () => {
        const { modelFiles } = this.engine();
        if (!modelFiles || config.understand.imageStateCacheBytes === 0) return undefined;
        return ImageStateCache.open({
          dir: join(config.home, 'cache', 'image-state'),
          maxBytes: config.understand.imageStateCacheBytes,
          modelId: await modelIdentity([modelFiles.model, modelFiles.mmproj]),
        });
      })());
    },
    embedder() {
      open();
      return (embedder ??= openConfiguredEmbedder(config));
    },
    async close() {
      if (closed) return;
      closed = true;
      const started = embedder;
      // Each is closed even when another fails to: a leaked worker process would keep Node alive.
      await Promise.allSettled([started?.then((e) => e?.close()), engine?.engine.close(), ocr.close()]);
      await library?.close();
    },
  };
}
