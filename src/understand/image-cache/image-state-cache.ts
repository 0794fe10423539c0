import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Disk side of the image-state cache: saved engine states (the KV cache after an image and its prompt prefix
 * were evaluated), so a follow-up question on the same image skips the vision encoder and the prefill — even
 * after a restart. Entries are evicted least-recently-used when their total size passes `maxBytes`; the whole
 * cache is dropped when the model changes, because a state is only valid for the weights that produced it.
 *
 * The engine writes and reads the state files (`saveState(path)` / `loadState(path)`, which may write
 * companion files `path.<suffix>` beside `path`); this class decides names, admission, eviction and
 * persistence of the index, and moves and deletes a state's companions with it.
 */
export interface ImageStateCacheOptions {
  dir: string;
  maxBytes: number;
  /** Identity of the loaded model files (see modelIdentity); a different one empties the cache. */
  modelId: string;
}

interface Entry {
  key: string;
  bytes: number;
  lastUsed: number;
}

interface IndexFile {
  modelId: string;
  entries: Entry[];
}

export interface ImageStateCacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
}

const INDEX = 'index.json';
const stateFile = (key: string) => `${key}.state`;
/** `<key>.state` and its companions (`<key>.state.items`: the engine's image identities) → `<key>`. */
const keyOfFile = (name: string): string | undefined => /^(.+)\.state(\..+)?$/.exec(name)?.[1];

/** A cache key: the normalised image's sha256, the token budget and whatever else shapes the state. */
export function imageStateKey(parts: { imageSha256: string; tokenBudget: number; prefix?: string }): string {
  return createHash('sha256')
    .update(`${parts.imageSha256}\n${parts.tokenBudget}\n${parts.prefix ?? ''}`)
    .digest('hex');
}

/** Identity of model files without hashing gigabytes: path, size and modification time of each. */
export async function modelIdentity(paths: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const path of paths) {
    const s = await stat(path);
    hash.update(`${path}\n${s.size}\n${s.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

export class ImageStateCache {
  private readonly entries = new Map<string, Entry>();
  private hits = 0;
  private misses = 0;
  private clock = 0;
  /** Makes temporary names unique: several engine slots may store (and the index be saved) at once. */
  private writes = 0;

  private constructor(private readonly options: ImageStateCacheOptions) {}

  /** Opens (or creates) the cache folder, reconciling the index with the files really there. */
  static async open(options: ImageStateCacheOptions): Promise<ImageStateCache> {
    const cache = new ImageStateCache(options);
    await mkdir(options.dir, { recursive: true });
    let index: IndexFile | undefined;
    try {
      index = JSON.parse(await readFile(join(options.dir, INDEX), 'utf8')) as IndexFile;
    } catch {
      index = undefined; // first start, or a torn index: rebuild from nothing
    }
    const valid = index?.modelId === options.modelId ? index.entries : [];
    for (const entry of valid) {
      if (existsSync(join(options.dir, stateFile(entry.key)))) cache.entries.set(entry.key, entry);
      cache.clock = Math.max(cache.clock, entry.lastUsed);
    }
    // Files the index does not know (a crash between write and index update, or another model's states).
    for (const name of await readdir(options.dir)) {
      if (name === INDEX) continue;
      const key = keyOfFile(name);
      if (key === undefined || !cache.entries.has(key)) await rm(join(options.dir, name), { force: true });
    }
    await cache.evict();
    await cache.saveIndex();
    return cache;
  }

  /** Path of the saved state for `key`, or undefined. A hit makes the entry the most recently used. */
  lookup(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    entry.lastUsed = ++this.clock;
    return join(this.options.dir, stateFile(key));
  }

  /**
   * Admits a state: `write(tmpPath)` saves it (the engine's saveState), then it is renamed into place so a
   * reader never sees half a file. Older entries are evicted to stay within `maxBytes`.
   */
  async store(key: string, write: (tmpPath: string) => Promise<unknown>): Promise<void> {
    const tmpName = `${key}.tmp-${process.pid}-${++this.writes}`;
    const written = async () =>
      (await readdir(this.options.dir)).filter((n) => n === tmpName || n.startsWith(`${tmpName}.`));
    try {
      await write(join(this.options.dir, tmpName));
      const names = await written();
      let size = 0;
      for (const name of names) size += (await stat(join(this.options.dir, name))).size;
      if (!names.includes(tmpName) || size > this.options.maxBytes) return; // nothing saved, or too big to keep
      await this.removeFiles(key); // an older copy's companions must not outlive it
      // Companions first: a reader that finds `<key>.state` finds everything that goes with it.
      for (const name of names.filter((n) => n !== tmpName)) {
        await rename(
          join(this.options.dir, name),
          join(this.options.dir, stateFile(key) + name.slice(tmpName.length)),
        );
      }
      await rename(join(this.options.dir, tmpName), join(this.options.dir, stateFile(key)));
      this.entries.set(key, { key, bytes: size, lastUsed: ++this.clock });
      await this.evict();
      await this.saveIndex();
    } finally {
      for (const name of await written()) await rm(join(this.options.dir, name), { force: true });
    }
  }

  private async removeFiles(key: string): Promise<void> {
    for (const name of await readdir(this.options.dir)) {
      if (keyOfFile(name) === key) await rm(join(this.options.dir, name), { force: true });
    }
  }

  stats(): ImageStateCacheStats {
    let bytes = 0;
    for (const e of this.entries.values()) bytes += e.bytes;
    return { entries: this.entries.size, bytes, hits: this.hits, misses: this.misses };
  }

  private async evict(): Promise<void> {
    let total = this.stats().bytes;
    const byAge = [...this.entries.values()].sort((a, b) => a.lastUsed - b.lastUsed);
    for (const entry of byAge) {
      if (total <= this.options.maxBytes) break;
      this.entries.delete(entry.key);
      total -= entry.bytes;
      await this.removeFiles(entry.key);
    }
  }

  private async saveIndex(): Promise<void> {
    const index: IndexFile = { modelId: this.options.modelId, entries: [...this.entries.values()] };
    const tmp = join(this.options.dir, `${INDEX}.tmp-${process.pid}-${++this.writes}`);
    await writeFile(tmp, JSON.stringify(index));
    await rename(tmp, join(this.options.dir, INDEX));
  }

  /** Persists recency after lookups (called on shutdown and periodically by the owner). */
  async flush(): Promise<void> {
    await this.saveIndex();
  }
}
