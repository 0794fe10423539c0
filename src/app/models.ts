import type { CatalogEntry } from '../models/catalog.js';
import { DEFAULT_MODEL } from '../models/catalog.js';
import type { DownloadProgress } from '../models/download.js';
import {
  listModels as listModelsIn,
  pullModelFiles,
  removeModel as removeModelIn,
  type InstalledModel,
} from '../models/model-store.js';
import type { DocSight } from './docsight.js';

export type { DownloadProgress, InstalledModel };

/** Model files as use cases: what the catalog offers and what is on disk, download, delete. */

/**
 * Every catalog model with its state on disk: installed, partial (an interrupted download) or absent.
 *
 * @example
 *   const missing = (await listModels(app)).filter((m) => m.state !== 'installed');
 */
export function listModels(app: DocSight): Promise<InstalledModel[]> {
  return listModelsIn(app.config.home);
}

export interface PullModelOptions {
  /** Bytes of each file as they arrive (a file at a time), for a progress bar or an event stream. */
  onProgress?(file: string, progress: DownloadProgress): void;
  /** Aborting stops the download; the partial file stays and the next pull resumes it. */
  signal?: AbortSignal;
  /** Hub or mirror base URL; default `$HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
  /** Replaces the catalog entry of `name` (a private mirror's files, tests). */
  entry?: CatalogEntry;
}

/**
 * Downloads a model into `<home>/models/<name>` (pinned revision, resumed, sha256-checked) and returns the
 * paths of its files. Files already complete are kept. NOT_FOUND for a name the catalog does not know,
 * DOWNLOAD_FAILED / CHECKSUM_MISMATCH with what to check.
 *
 * @example
 *   const files = await pullModel(app, 'qwen3-embedding-0.6b', { onProgress: (f, p) => send(f, p.received) });
 */
export function pullModel(
  app: DocSight,
  name: string = DEFAULT_MODEL,
  options: PullModelOptions = {},
): Promise<string[]> {
  return pullModelFiles({
    home: app.config.home,
    name,
    entry: options.entry,
    endpoint: options.endpoint,
    signal: options.signal,
    onProgress: options.onProgress,
  });
}

/** Deletes a downloaded model, partial files included; false when nothing of it was there. */
export function removeModel(app: DocSight, name: string): Promise<boolean> {
  return removeModelIn(app.config.home, name);
}
