import type { Config } from '../config/config.js';
import { resolveEmbeddingModelPath } from '../models/model-store.js';
import { LlamaEmbedder } from './llama-embedder.js';

/**
 * The embedder `library.embeddingModel` names (a catalog name pulled into `<home>/models`, or a GGUF
 * path), checked but not yet loaded; undefined when none is configured (search is then BM25 only).
 * Throws MODEL_MISSING / MODEL_INVALID with what to do. Close it when done: it owns a process.
 *
 * @example
 *   const embedder = await openConfiguredEmbedder(config);
 *   try { await searchLibrary(store, q, { embedder }); } finally { await embedder?.close(); }
 */
export async function openConfiguredEmbedder(config: Config): Promise<LlamaEmbedder | undefined> {
  const name = config.library.embeddingModel;
  if (!name) return undefined;
  // One thread: ingestion already keeps a core busy with OCR, and on a shared machine llama.cpp's
  // spinning threads lose more than they gain (README, engine speed).
  return LlamaEmbedder.open({ model: resolveEmbeddingModelPath(config.home, name), threads: 1 });
}
