import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTempDirs } from '../test-support/temp-dir.js';
import { DEFAULT_EMBEDDING_MODEL, DEFAULT_MODEL, findCatalogEntry, type CatalogEntry } from './catalog.js';
import {
  listModels,
  modelDir,
  pullModel,
  pullModelFiles,
  removeModel,
  resolveEmbeddingModelPath,
  resolveModelPaths,
} from './model-store.js';

// A local stand-in for the hub: serves `/{repo}/resolve/{revision}/{file}` like the real one.
const textGguf = randomBytes(40_000);
const mmprojGguf = randomBytes(30_000);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const entry: CatalogEntry = {
  name: 'tiny-test-model',
  description: 'two small files served from loopback',
  repo: 'test/tiny',
  revision: 'abc123',
  files: [
    { role: 'model', file: 'text.gguf', size: textGguf.length, sha256: sha(textGguf) },
    { role: 'mmproj', file: 'mmproj.gguf', size: mmprojGguf.length, sha256: sha(mmprojGguf) },
  ],
};
const requested: string[] = [];
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    requested.push(req.url ?? '');
    const body =
      req.url === '/test/tiny/resolve/abc123/text.gguf'
        ? textGguf
        : req.url === '/test/tiny/resolve/abc123/mmproj.gguf'
          ? mmprojGguf
          : undefined;
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const tempHome = useTempDirs('docsight-models-');

describe('pullModel', () => {
  it('downloads each file of the model from the endpoint into <home>/models/<name>', async () => {
    const home = tempHome();
    const seen = new Set<string>();
    const paths = await pullModel({ home, entry, endpoint, onProgress: (file) => seen.add(file) });
    expect(paths.model).toBe(join(modelDir(home, 'tiny-test-model'), 'text.gguf'));
    expect(readFileSync(paths.model).equals(textGguf)).toBe(true);
    expect(readFileSync(paths.mmproj).equals(mmprojGguf)).toBe(true);
    expect([...seen]).toEqual(['text.gguf', 'mmproj.gguf']);
  });

  it('skips files that are already complete', async () => {
    const home = tempHome();
    await pullModel({ home, entry, endpoint });
    requested.length = 0;
    await pullModel({ home, entry, endpoint });
    expect(requested).toEqual([]);
  });

  it('names the known models when asked for an unknown one', async () => {
    await expect(pullModel({ home: tempHome(), name: 'gpt-7', endpoint })).rejects.toThrow(
      new RegExp(`Unknown model "gpt-7".*${DEFAULT_MODEL}`),
    );
  });
});

describe('listModels and removeModel', () => {
  it('reports the default model as absent, then partial, and removes it', async () => {
    const home = tempHome();
    expect((await listModels(home)).find((m) => m.name === DEFAULT_MODEL)?.state).toBe('absent');
    const dir = modelDir(home, DEFAULT_MODEL);
    mkdirSync(dir, { recursive: true });
    // An interrupted pull leaves a .part file behind.
    writeFileSync(join(dir, 'Qwen3VL-2B-Instruct-Q4_K_M.gguf.part'), Buffer.alloc(10));
    const listed = (await listModels(home)).find((m) => m.name === DEFAULT_MODEL);
    expect(listed?.state).toBe('partial');
    expect(listed?.bytes).toBe(10);
    expect(await removeModel(home, DEFAULT_MODEL)).toBe(true);
    expect(await removeModel(home, DEFAULT_MODEL)).toBe(false);
  });
});

describe('resolveModelPaths', () => {
  it('says how to get the model when it is not installed', () => {
    expect(() => resolveModelPaths({ home: tempHome() })).toThrow(/docsight models pull qwen3-vl-2b/);
  });

  it('uses explicit paths, and checks that they exist', () => {
    const home = tempHome();
    const model = join(home, 'm.gguf');
    const mmproj = join(home, 'p.gguf');
    writeFileSync(model, 'x');
    writeFileSync(mmproj, 'x');
    expect(resolveModelPaths({ home, modelPath: model, mmprojPath: mmproj })).toEqual({ model, mmproj });
    expect(() => resolveModelPaths({ home, modelPath: model })).toThrow(
      /both --model-path .* and --mmproj-path/,
    );
    expect(() => resolveModelPaths({ home, modelPath: model, mmprojPath: join(home, 'nope.gguf') })).toThrow(
      /nope\.gguf does not exist/,
    );
  });
});

describe('the embedding model (qwen3-embedding-0.6b)', () => {
  const embeddingEntry: CatalogEntry = {
    name: 'tiny-embedding',
    description: 'one small file served from loopback',
    repo: 'test/tiny',
    revision: 'abc123',
    files: [{ role: 'embedding', file: 'text.gguf', size: textGguf.length, sha256: sha(textGguf) }],
  };

  it('is in the catalog at a pinned revision with its published size and sha256', () => {
    const entry = findCatalogEntry(DEFAULT_EMBEDDING_MODEL);
    expect(entry).toMatchObject({ repo: 'Qwen/Qwen3-Embedding-0.6B-GGUF' });
    expect(entry?.revision).toMatch(/^[0-9a-f]{40}$/);
    expect(entry?.files).toEqual([
      expect.objectContaining({
        role: 'embedding',
        file: 'Qwen3-Embedding-0.6B-Q8_0.gguf',
        size: 639_150_592,
      }),
    ]);
  });

  it('downloads a model of one embedding file and returns its path', async () => {
    const home = tempHome();
    const paths = await pullModelFiles({ home, entry: embeddingEntry, endpoint });
    expect(paths).toEqual([join(modelDir(home, 'tiny-embedding'), 'text.gguf')]);
    expect(readFileSync(paths[0]!).equals(textGguf)).toBe(true);
  });

  it('resolves library.embeddingModel from a catalog name under <home>/models, or from a path', () => {
    const home = tempHome();
    expect(() => resolveEmbeddingModelPath(home, DEFAULT_EMBEDDING_MODEL)).toThrow(
      /not installed\. Run `docsight models pull qwen3-embedding-0\.6b`/,
    );
    const pulled = join(modelDir(home, DEFAULT_EMBEDDING_MODEL), 'Qwen3-Embedding-0.6B-Q8_0.gguf');
    mkdirSync(modelDir(home, DEFAULT_EMBEDDING_MODEL), { recursive: true });
    writeFileSync(pulled, 'x');
    expect(resolveEmbeddingModelPath(home, DEFAULT_EMBEDDING_MODEL)).toBe(pulled);
    expect(resolveEmbeddingModelPath(home, pulled)).toBe(pulled);
    expect(() => resolveEmbeddingModelPath(home, join(home, 'nope.gguf'))).toThrow(
      /neither a file nor a known model \(qwen3-embedding-0\.6b\)/,
    );
    expect(() => resolveEmbeddingModelPath(home, DEFAULT_MODEL)).toThrow(/is not an embedding model/);
  });
});
