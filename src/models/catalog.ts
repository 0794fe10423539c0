/**
 * The models `docsight models pull` knows: where they come from (a pinned revision, so the bytes never change
 * under us) and the size and sha256 every file must have. Figures from the published repository (FACTS.md).
 */
export interface ModelFileSpec {
  /**
   * `model` is the language model GGUF, `mmproj` the vision projector GGUF, `embedding` a
   * text-embedding GGUF for dense retrieval (`library.embeddingModel`).
   */
  role: 'model' | 'mmproj' | 'embedding';
  file: string;
  size: number;
  sha256: string;
}

export interface CatalogEntry {
  name: string;
  description: string;
  /** Hugging Face repository, `owner/name`. */
  repo: string;
  revision: string;
  files: ModelFileSpec[];
}

export const DEFAULT_MODEL = 'qwen3-vl-2b-instruct-q4_k_m';

/** The embedding model `library.embeddingModel` names by default in the docs and hints. */
export const DEFAULT_EMBEDDING_MODEL = 'qwen3-embedding-0.6b';

export const catalog: readonly CatalogEntry[] = [
  {
    name: DEFAULT_MODEL,
    description: 'Qwen3-VL-2B-Instruct, 4-bit (Q4_K_M) text model with the Q8_0 vision projector (1.5 GB)',
    repo: 'Qwen/Qwen3-VL-2B-Instruct-GGUF',
    revision: '52d6c8ffea26cc873ac5ad116f8631268d7eb503',
    files: [
      {
        role: 'model',
        file: 'Qwen3VL-2B-Instruct-Q4_K_M.gguf',
        size: 1_107_409_952,
        sha256: '089d75c52f4b7ffc56ba998ffc50aae89fcafc755f9e7208aacca281dca6c2ae',
      },
      {
        role: 'mmproj',
        file: 'mmproj-Qwen3VL-2B-Instruct-Q8_0.gguf',
        size: 445_053_216,
        sha256: 'f9a68fabba69c3b81e153367b2c7521030b0fa8bb0de400c9599c8e6725f9c82',
      },
    ],
  },
  {
    name: DEFAULT_EMBEDDING_MODEL,
    description: 'Qwen3-Embedding-0.6B, 8-bit (Q8_0), 1024-dimensional vectors for hybrid search (0.64 GB)',
    repo: 'Qwen/Qwen3-Embedding-0.6B-GGUF',
    // Revision, size and sha256 as published in that repository (several public manifests agree).
    revision: '370f27d7550e0def9b39c1f16d3fbaa13aa67728',
    files: [
      {
        role: 'embedding',
        file: 'Qwen3-Embedding-0.6B-Q8_0.gguf',
        size: 639_150_592,
        sha256: '06507c7b42688469c4e7298b0a1e16deff06caf291cf0a5b278c308249c3e439',
      },
    ],
  },
];

/** The catalog entry called `name`, or undefined. */
export function findCatalogEntry(name: string): CatalogEntry | undefined {
  return catalog.find((entry) => entry.name === name);
}

/** `{endpoint}/{repo}/resolve/{revision}/{file}`: the hub's download URL form, also served by mirrors. */
export function fileUrl(endpoint: string, entry: CatalogEntry, file: ModelFileSpec): string {
  return `${endpoint.replace(/\/+$/, '')}/${entry.repo}/resolve/${entry.revision}/${encodeURIComponent(file.file)}`;
}
