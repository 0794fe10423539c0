import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { ImageStateCache, imageStateKey, modelIdentity } from './image-state-cache.js';

const tempDir = useTempDirs('docsight-state-');
/** Stands in for the engine's saveState: writes `bytes` bytes to the path it is given. */
const saveStateOf = (bytes: number) => (path: string) => writeFile(path, Buffer.alloc(bytes, 1));

describe('ImageStateCache', () => {
  it('finds a stored state again, and counts hits and misses', async () => {
    const cache = await ImageStateCache.open({ dir: tempDir(), maxBytes: 1000, modelId: 'm1' });
    const key = imageStateKey({ imageSha256: 'abc', tokenBudget: 256 });
    expect(cache.lookup(key)).toBeUndefined();
    await cache.store(key, saveStateOf(100));
    expect(cache.lookup(key)).toMatch(new RegExp(`${key}\\.state$`));
    expect(cache.stats()).toEqual({ entries: 1, bytes: 100, hits: 1, misses: 1 });
  });

  it('evicts the least recently used states to stay within its size', async () => {
    const cache = await ImageStateCache.open({ dir: tempDir(), maxBytes: 250, modelId: 'm1' });
    await cache.store('a', saveStateOf(100));
    await cache.store('b', saveStateOf(100));
    cache.lookup('a'); // a is now more recent than b
    await cache.store('c', saveStateOf(100));
    expect(cache.lookup('b')).toBeUndefined();
    expect(cache.lookup('a')).toBeDefined();
    expect(cache.lookup('c')).toBeDefined();
    expect(cache.stats().bytes).toBe(200);
  });

  it('survives a restart, and empties itself when the model changes', async () => {
    const dir = tempDir();
    const first = await ImageStateCache.open({ dir, maxBytes: 1000, modelId: 'm1' });
    await first.store('k', saveStateOf(10));
    const again = await ImageStateCache.open({ dir, maxBytes: 1000, modelId: 'm1' });
    expect(again.lookup('k')).toBeDefined();
    const otherModel = await ImageStateCache.open({ dir, maxBytes: 1000, modelId: 'm2' });
    expect(otherModel.lookup('k')).toBeUndefined();
    expect(readdirSync(dir)).toEqual(['index.json']);
  });

  it('cleans up files a crash left behind and a torn index', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'orphan.state'), 'x');
    writeFileSync(join(dir, 'index.json'), '{"modelId": "m1", "entr');
    const cache = await ImageStateCache.open({ dir, maxBytes: 1000, modelId: 'm1' });
    expect(cache.stats().entries).toBe(0);
    expect(readdirSync(dir)).toEqual(['index.json']);
  });

  it('leaves nothing behind when saving the state fails', async () => {
    const dir = tempDir();
    const cache = await ImageStateCache.open({ dir, maxBytes: 1000, modelId: 'm1' });
    await expect(
      cache.store('k', async (path) => {
        await writeFile(path, 'partial');
        throw new Error('engine died');
      }),
    ).rejects.toThrow('engine died');
    expect(cache.lookup('k')).toBeUndefined();
    expect(readdirSync(dir)).toEqual(['index.json']);
  });
});

describe('ImageStateCache with an engine that writes companion files', () => {
  // The llama engine's saveState(path) writes `path` and `path.items` (the identities of the cached images).
  const saveWithItems = (bytes: number) => async (path: string) => {
    await writeFile(path, Buffer.alloc(bytes, 1));
    await writeFile(`${path}.items`, 'image-sha\n');
  };

  it('moves, counts and evicts the companions with their state', async () => {
    const dir = tempDir();
    const cache = await ImageStateCache.open({ dir, maxBytes: 150, modelId: 'm1' });
    await cache.store('a', saveWithItems(60));
    expect(readdirSync(dir).sort()).toEqual(['a.state', 'a.state.items', 'index.json']);
    expect(readFileSync(`${cache.lookup('a')}.items`, 'utf8')).toBe('image-sha\n');
    expect(cache.stats().bytes).toBe(70);
    await cache.store('b', saveWithItems(60));
    await cache.store('c', saveWithItems(60)); // over 150 bytes: a goes, with its companion
    expect(readdirSync(dir).sort()).toEqual([
      'b.state',
      'b.state.items',
      'c.state',
      'c.state.items',
      'index.json',
    ]);
    const reopened = await ImageStateCache.open({ dir, maxBytes: 150, modelId: 'm1' });
    expect(reopened.stats().entries).toBe(2);
    expect(readdirSync(dir)).toHaveLength(5);
  });
});

describe('keys and model identity', () => {
  it('takes stores and index saves from several engine slots at once', async () => {
    const dir = tempDir();
    const cache = await ImageStateCache.open({ dir, maxBytes: 10_000, modelId: 'm1' });
    // Two slots answered about the same page, a third about another, while the index is flushed.
    await Promise.all([
      cache.store('page', saveStateOf(100)),
      cache.store('page', saveStateOf(100)),
      cache.store('other', saveStateOf(50)),
      cache.flush(),
    ]);
    expect(cache.lookup('page')).toBeDefined();
    expect(cache.lookup('other')).toBeDefined();
    expect(readdirSync(dir).sort()).toEqual(['index.json', 'other.state', 'page.state']);
  });

  it('keys differ by image and by budget', () => {
    const a = imageStateKey({ imageSha256: 'x', tokenBudget: 256 });
    expect(imageStateKey({ imageSha256: 'x', tokenBudget: 256 })).toBe(a);
    expect(imageStateKey({ imageSha256: 'x', tokenBudget: 512 })).not.toBe(a);
    expect(imageStateKey({ imageSha256: 'y', tokenBudget: 256 })).not.toBe(a);
  });

  it('model identity changes when a model file changes', async () => {
    const dir = tempDir();
    const file = join(dir, 'model.gguf');
    writeFileSync(file, 'one');
    const before = await modelIdentity([file]);
    writeFileSync(file, 'three');
    expect(await modelIdentity([file])).not.toBe(before);
  });
});
