import { existsSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DocSightError } from '../errors.js';
import { catalog, DEFAULT_MODEL, fileUrl, findCatalogEntry, type CatalogEntry } from './catalog.js';
import { downloadFile, partialPath, type DownloadProgress } from './download.js';

/** Models live in `<home>/models/<name>/`, one folder per catalog entry. */
export const modelsDir = (home: string): string => join(home, 'models');
export const modelDir = (home: string, name: string): string => join(modelsDir(home), name);

export interface ModelPaths {
  model: string;
  mmproj: string;
}

export interface PullOptions {
  home: string;
  name?: string;
  /** Hub or mirror base URL; default `$HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
  /** Replaces the catalog entry (tests, private mirrors). */
  entry?: CatalogEntry;
  onProgress?: (file: string, progress: DownloadProgress) => void;
  signal?: AbortSignal;
  retryDelayMs?: number;
}

function entryOrThrow(name: string): CatalogEntry {
  const entry = findCatalogEntry(name);
  if (!entry) {
    const known = catalog.map((e) => e.name).join(', ');
    throw new DocSightError('NOT_FOUND', `Unknown model "${name}". Known models: ${known}.`);
  }
  return entry;
}

/**
 * Downloads every file of a model that is not already complete and returns their paths. Files already
 * present with the right size are kept (their sha256 was checked when they were written).
 */
export async function pullModelFiles(options: PullOptions): Promise<string[]> {
  const entry = options.entry ?? entryOrThrow(options.name ?? DEFAULT_MODEL);
  const endpoint = options.endpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co';
  const dir = modelDir(options.home, entry.name);
  const paths: string[] = [];
  for (const file of entry.files) {
    const dest = join(dir, file.file);
    paths.push(dest);
    if (existsSync(dest) && (await stat(dest)).size === file.size) continue;
    await downloadFile({
      url: fileUrl(endpoint, entry, file),
      dest,
      expectedSize: file.size,
      sha256: file.sha256,
      signal: options.signal,
      retryDelayMs: options.retryDelayMs,
      onProgress: (progress) => options.onProgress?.(file.file, progress),
    });
  }
  return paths;
}

/** {@link pullModelFiles} for a vision-language model: its text model and vision projector. */
export async function pullModel(options: PullOptions): Promise<ModelPaths> {
  const entry = options.entry ?? entryOrThrow(options.name ?? DEFAULT_MODEL);
  await pullModelFiles({ ...options, entry });
  return pathsOf(modelDir(options.home, entry.name), entry);
}

function pathsOf(dir: string, entry: CatalogEntry): ModelPaths {
  const model = entry.files.find((f) => f.role === 'model');
  const mmproj = entry.files.find((f) => f.role === 'mmproj');
  if (!model || !mmproj)
    throw new DocSightError('INTERNAL', `Catalog entry ${entry.name} lacks a model or mmproj.`);
  return { model: join(dir, model.file), mmproj: join(dir, mmproj.file) };
}

export type ModelState = 'installed' | 'partial' | 'absent';

export interface InstalledModel {
  name: string;
  description: string;
  state: ModelState;
  /** Bytes on disk, complete and partial files together. */
  bytes: number;
  totalBytes: number;
}

/** Every catalog model with what of it is on disk. */
export async function listModels(home: string): Promise<InstalledModel[]> {
  const out: InstalledModel[] = [];
  for (const entry of catalog) {
    const dir = modelDir(home, entry.name);
    let bytes = 0;
    let complete = 0;
    for (const file of entry.files) {
      const dest = join(dir, file.file);
      if (existsSync(dest)) {
        bytes += (await stat(dest)).size;
        complete++;
      } else if (existsSync(partialPath(dest))) {
        bytes += (await stat(partialPath(dest))).size;
      }
    }
    const state: ModelState =
      complete === entry.files.length ? 'installed' : bytes > 0 ? 'partial' : 'absent';
    const totalBytes = entry.files.reduce((sum, f) => sum + f.size, 0);
    out.push({ name: entry.name, description: entry.description, state, bytes, totalBytes });
  }
  return out;
}

/** Deletes a model's folder, partial downloads included. Returns false when nothing was there. */
export async function removeModel(home: string, name: string): Promise<boolean> {
  entryOrThrow(name);
  const dir = modelDir(home, name);
  if (!existsSync(dir)) return false;
  await rm(dir, { recursive: true, force: true });
  return true;
}

export interface ResolveOptions {
  home: string;
  name?: string;
  /** `--model-path`: a local text GGUF that overrides the pulled default. */
  modelPath?: string;
  /** `--mmproj-path`: a local vision projector GGUF. */
  mmprojPath?: string;
}

/**
 * The model files to load: the explicit paths when given, else the pulled catalog model.
 * Throws MODEL_MISSING with the command that fixes it; never returns a path that does not exist.
 */
export function resolveModelPaths(options: ResolveOptions): ModelPaths {
  if (options.modelPath || options.mmprojPath) {
    if (!options.modelPath || !options.mmprojPath) {
      throw new DocSightError(
        'BAD_CONFIG',
        'Give both --model-path (the text GGUF) and --mmproj-path (the vision projector GGUF), or neither.',
      );
    }
    const paths = { model: resolve(options.modelPath), mmproj: resolve(options.mmprojPath) };
    for (const path of [paths.model, paths.mmproj]) {
      if (!existsSync(path)) throw new DocSightError('MODEL_MISSING', `Model file ${path} does not exist.`);
    }
    return paths;
  }
  const entry = entryOrThrow(options.name ?? DEFAULT_MODEL);
  const paths = pathsOf(modelDir(options.home, entry.name), entry);
  if (!existsSync(paths.model) || !existsSync(paths.mmproj)) {
    throw new DocSightError(
      'MODEL_MISSING',
      `The model ${entry.name} is not installed. Run \`docsight models pull ${entry.name}\` ` +
        '(about 1.5 GB), or pass --model-path and --mmproj-path to use local GGUF files.',
    );
  }
  return paths;
}

/**
 * The embedding GGUF `library.embeddingModel` names: a catalog name (e.g. `qwen3-embedding-0.6b`,
 * pulled into `<home>/models`) or a file path. Throws MODEL_MISSING with the command that fixes it.
 *
 * @example resolveEmbeddingModelPath(config.home, 'qwen3-embedding-0.6b'); // ~/.docsight/models/qwen3-embedding-0.6b/Qwen3-Embedding-0.6B-Q8_0.gguf
 */
export function resolveEmbeddingModelPath(home: string, nameOrPath: string): string {
  const entry = findCatalogEntry(nameOrPath);
  if (entry) {
    const file = entry.files.find((f) => f.role === 'embedding');
    if (!file) {
      throw new DocSightError(
        'BAD_CONFIG',
        `${entry.name} is not an embedding model; set library.embeddingModel to qwen3-embedding-0.6b or a GGUF path.`,
      );
    }
    const path = join(modelDir(home, entry.name), file.file);
    if (!existsSync(path)) {
      throw new DocSightError(
        'MODEL_MISSING',
        `The embedding model ${entry.name} is not installed. Run \`docsight models pull ${entry.name}\` ` +
          `(${(file.size / 1e9).toFixed(2)} GB), or set library.embeddingModel to a local GGUF file.`,
      );
    }
    return path;
  }
  const path = resolve(nameOrPath);
  if (!existsSync(path)) {
    const known = catalog
      .filter((e) => e.files.some((f) => f.role === 'embedding'))
      .map((e) => e.name)
      .join(', ');
    throw new DocSightError(
      'MODEL_MISSING',
      `The embedding model ${nameOrPath} is neither a file nor a known model (${known}). ` +
        'Set library.embeddingModel to a GGUF path or a model name from `docsight models list`.',
    );
  }
  return path;
}
