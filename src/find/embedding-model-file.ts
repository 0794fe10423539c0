import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { DocSightError } from '../errors.js';
import { readHeader as readCheckedGgufHeader } from '../models/model-validator.js';

/**
 * Checks an embedding GGUF before llama.cpp sees it, and names it. A missing or truncated file, or a
 * generator (the VLM) given by mistake, becomes a MODEL_MISSING / MODEL_INVALID error with what to
 * do, instead of a failed or crashed load in the embedding process.
 */

export interface EmbeddingModelFile {
  path: string;
  bytes: number;
  architecture: string;
  /** Width of the vectors (`<arch>.embedding_length`). */
  dimensions: number;
  /** llama.cpp pooling type from the metadata: 1 mean, 2 cls, 3 last. */
  pooling: number;
  /**
   * What the library stores with its vectors: file name, size and a hash of the file's first and
   * last MiB (the header with vocabulary and tensor table, and the last weights). Hashing all
   * 600 MB would cost seconds on every CLI start; this still tells two different files apart.
   */
  id: string;
}

const POOLING_NAMES: Record<number, string> = { 1: 'mean', 2: 'cls', 3: 'last' };
const HASHED_BYTES = 1 << 20;

async function fingerprint(path: string, bytes: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const h = createHash('sha256');
    const head = Buffer.alloc(Math.min(HASHED_BYTES, bytes));
    await fh.read(head, 0, head.length, 0);
    h.update(head);
    if (bytes > HASHED_BYTES) {
      const tail = Buffer.alloc(Math.min(HASHED_BYTES, bytes - HASHED_BYTES));
      await fh.read(tail, 0, tail.length, bytes - tail.length);
      h.update(tail);
    }
    return h.digest('hex').slice(0, 12);
  } finally {
    await fh.close();
  }
}

/**
 * @example
 *   const file = await inspectEmbeddingModel('~/.docsight/models/qwen3-embedding-0.6b/Qwen3-Embedding-0.6B-Q8_0.gguf');
 *   file.dimensions; // 1024
 *   file.id;         // 'Qwen3-Embedding-0.6B-Q8_0.gguf:639150592:3f2a…'
 */
export async function inspectEmbeddingModel(path: string): Promise<EmbeddingModelFile> {
  const { header, size } = await readCheckedGgufHeader(path, 'embedding model');
  const arch = header.metadata.get('general.architecture');
  const invalid = (what: string): DocSightError =>
    new DocSightError(
      'MODEL_INVALID',
      `${path}: ${what}. Use a text-embedding GGUF such as Qwen3-Embedding-0.6B (docsight models pull qwen3-embedding-0.6b).`,
    );
  if (typeof arch !== 'string') throw invalid('general.architecture is missing');
  if (arch === 'clip') throw invalid('this is a vision projector (mmproj), not an embedding model');
  const pooling = Number(header.metadata.get(`${arch}.pooling_type`) ?? 0);
  if (!POOLING_NAMES[pooling]) {
    throw invalid(
      pooling === 0
        ? `it declares no ${arch}.pooling_type, so it is a text generator, not an embedding model`
        : `pooling type ${pooling} is not an embedding pooling (a reranker?)`,
    );
  }
  const dimensions = Number(header.metadata.get(`${arch}.embedding_length`) ?? 0);
  if (!Number.isInteger(dimensions) || dimensions < 1) throw invalid(`${arch}.embedding_length is missing`);
  return {
    path,
    bytes: size,
    architecture: arch,
    dimensions,
    pooling,
    id: `${basename(path)}:${size}:${await fingerprint(path, size)}`,
  };
}
