/**
 * Turns text into vectors for dense retrieval. The real implementation (an embedding GGUF model on
 * the same native llama.cpp engine as the VLM) plugs in here; without one, search is BM25 only.
 */
export interface Embedder {
  /** A stable name of the model, stored with the vectors so a library never mixes two models. */
  readonly model: string;
  readonly dimensions: number;
  /** One unit-length vector per text. `kind` lets models with query/document prefixes apply them. */
  embed(texts: string[], kind: 'query' | 'document'): Promise<Float32Array[]>;
}
