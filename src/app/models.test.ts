import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../models/catalog.js';
import { DEFAULT_MODEL } from '../models/catalog.js';
import { downloadsInProgress, listModels, pullModel, removeModel } from './models.js';
import { useAppsInTempHomes } from './test-support/app-in-temp-home.js';

// A loopback stand-in for the hub, serving one small file at the path the hub would.
const bytes = randomBytes(50_000);
const entry: CatalogEntry = {
  name: DEFAULT_MODEL,
  description: 'a small file served from loopback in place of the real model',
  repo: 'test/tiny',
  revision: 'abc123',
  files: [
    {
      role: 'embedding',
      file: 'tiny.gguf',
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    },
  ],
};
let server: Server;
let endpoint: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url !== '/test/tiny/resolve/abc123/tiny.gguf') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const newApp = useAppsInTempHomes('docsight-app-models-');

describe('models', () => {
  it('pulls a model with progress, lists it and removes it', async () => {
    const app = newApp();
    const received: number[] = [];
    const percents: number[] = [];
    const [path] = await pullModel(app, DEFAULT_MODEL, {
      entry,
      endpoint,
      onProgress: (file, p) => {
        expect(file).toBe('tiny.gguf');
        received.push(p.received);
        // /v1/models reads this while the download runs.
        percents.push(downloadsInProgress(app).get(DEFAULT_MODEL)!.percent);
      },
    });
    expect(percents.at(-1)).toBe(100);
    expect(percents.every((p, i) => p >= 0 && p <= 100 && (i === 0 || p >= percents[i - 1]!))).toBe(true);
    expect(downloadsInProgress(app).has(DEFAULT_MODEL)).toBe(false);
    expect(readFileSync(path!)).toEqual(bytes);
    expect(received.at(-1)).toBe(bytes.length);
    // The listing is the real catalog's: the stand-in file is none of its files, so the model is absent.
    const listed = (await listModels(app)).find((m) => m.name === DEFAULT_MODEL);
    expect(listed).toMatchObject({ state: 'absent', bytes: 0 });
    expect(await removeModel(app, DEFAULT_MODEL)).toBe(true);
    expect(await removeModel(app, DEFAULT_MODEL)).toBe(false);
  });

  it('refuses a name the catalog does not know', async () => {
    const app = newApp();
    await expect(pullModel(app, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(removeModel(app, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
