import type { CatalogEntry } from '../models/catalog.js';
import { DEFAULT_MODEL, findCatalogEntry } from '../models/catalog.js';
import type { DownloadProgress } from '../models/download.js';
import {
  listModels as listModelsIn,
  pullModelFiles,
  removeModel as removeModelIn,
  type InstalledModel,
} from '../models/model-store.js';
import { FULL_ACCESS, requireAdmin, type Access } from './access.js';
import type { DocSight } from './docsight.js';

export type { DownloadProgress, InstalledModel };

/**
 * Model files as use cases: what the catalog offers and what is on disk, download, delete. They act on the
 * whole server, so they need full access (FORBIDDEN for a collection-scoped key).
 */

/**
 * Every catalog model with its state on disk: installed, partial (an interrupted download) or absent.
 *
 * @example
 *   const missing = (await listModels(app)).filter((m) => m.state !== 'installed');
 */
export async function listModels(app: DocSight, access: Access = FULL_ACCESS): Promise<InstalledModel[]> {
  requireAdmin(access, 'list the models on this server');
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
export async function pullModel(
  app: DocSight,
  name: string = DEFAULT_MODEL,
  options: PullModelOptions = {},
  access: Access = FULL_ACCESS,
): Promise<string[]> {
  requireAdmin(access, 'download models');
  // Progress of the whole model (all its files), for /v1/models while the download runs.
  const files = (options.entry ?? findCatalogEntry(name))?.files ?? [];
  const total = files.reduce((sum, f) => sum + f.size, 0);
  const received = new Map<string, number>();
  const running = (downloads.get(app) ?? downloads.set(app, new Map()).get(app))!;
  running.set(name, { percent: 0 });
  try {
    return await pullModelFiles({
      home: app.config.home,
      name,
      entry: options.entry,
      endpoint: options.endpoint,
      signal: options.signal,
      onProgress: (file, progress) => {
        received.set(file, progress.received);
        const done = [...received.values()].reduce((sum, n) => sum + n, 0);
        if (total > 0) running.set(name, { percent: Math.min(100, Math.floor((1000 * done) / total) / 10) });
        options.onProgress?.(file, progress);
      },
    });
  } finally {
    running.delete(name);
  }
}

const downloads = new WeakMap<DocSight, Map<string, { percent: number }>>();

/**
 * The models this app is downloading now, with how far each has got: the bytes received of all its files
 * against their catalog sizes (files already complete on disk are skipped, so a resumed pull starts low).
 */
export function downloadsInProgress(app: DocSight): ReadonlyMap<string, { percent: number }> {
  return downloads.get(app) ?? new Map();
}

/** Deletes a downloaded model, partial files included; false when nothing of it was there. */
export async function removeModel(
  app: DocSight,
  name: string,
  access: Access = FULL_ACCESS,
): Promise<boolean> {
  requireAdmin(access, 'delete models');
  return removeModelIn(app.config.home, name);
}
