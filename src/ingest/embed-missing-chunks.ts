import type { Embedder } from '../find/embedder.js';
import type { Library } from '../store/library.js';

/**
 * Gives every chunk that has no vector one: for a library ingested before an embedding model was
 * configured (or whose vectors were dropped by a re-index). Batches are written one transaction
 * each, so an interrupted run simply continues where it stopped when run again.
 *
 * @example
 *   const n = await embedMissingChunks(library, embedder, { onProgress: (done) => bar.update(done) });
 */
export async function embedMissingChunks(
  library: Library,
  embedder: Embedder,
  options: { batchSize?: number; onProgress?(done: number): void } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 16;
  await library.store.ensureVectorIndex(embedder.model, embedder.dimensions);
  let done = 0;
  let after = 0;
  for (;;) {
    const chunks = await library.store.chunksWithoutVectors(batchSize, after);
    if (chunks.length === 0) return done;
    const vectors = await embedder.embed(
      chunks.map((c) => c.text),
      'document',
    );
    await library.store.writeChunkVectors(
      chunks.map((c, i) => ({ chunkId: c.chunkId, vector: vectors[i]! })),
    );
    after = chunks[chunks.length - 1]!.chunkId;
    done += chunks.length;
    options.onProgress?.(done);
  }
}
