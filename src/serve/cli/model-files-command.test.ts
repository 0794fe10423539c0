import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { DEFAULT_EMBEDDING_MODEL, DEFAULT_MODEL } from '../../models/catalog.js';
import { modelDir } from '../../models/model-store.js';
import { runCliCaptured } from './test-support/run-cli-captured.js';

// A local mirror that has nothing: what a user sees when HF_ENDPOINT points to the wrong place.
let server: Server;
const requested: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    requested.push(req.url ?? '');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
const tempHome = useTempDirs('docsight-cli-models-');

describe('docsight models pull|list|rm', () => {
  it('pulls from $HF_ENDPOINT at the pinned revision and explains a 404', async () => {
    const home = tempHome();
    vi.stubEnv('HF_ENDPOINT', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const { code, stderr } = await runCliCaptured(['--home', home, 'models', 'pull']);
      expect(code).toBe(1);
      expect(stderr).toMatch(/error \(DOWNLOAD_FAILED\).*HTTP 404.*HF_ENDPOINT/);
      expect(requested[0]).toBe(
        '/Qwen/Qwen3-VL-2B-Instruct-GGUF/resolve/52d6c8ffea26cc873ac5ad116f8631268d7eb503/Qwen3VL-2B-Instruct-Q4_K_M.gguf',
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('lists the catalog with what is on disk, and removes a partial download', async () => {
    const home = tempHome();
    const before = await runCliCaptured(['--home', home, 'models', 'list']);
    expect(before.stdout).toMatch(new RegExp(`^${DEFAULT_MODEL}\\tabsent\\t1\\.55 GB`));
    mkdirSync(modelDir(home, DEFAULT_MODEL), { recursive: true });
    writeFileSync(
      join(modelDir(home, DEFAULT_MODEL), 'Qwen3VL-2B-Instruct-Q4_K_M.gguf.part'),
      Buffer.alloc(1000),
    );
    const partial = await runCliCaptured(['--home', home, 'models', 'list', '--json']);
    expect(JSON.parse(partial.stdout)[0]).toMatchObject({
      name: DEFAULT_MODEL,
      state: 'partial',
      bytes: 1000,
    });
    expect((await runCliCaptured(['--home', home, 'models', 'rm', DEFAULT_MODEL])).stdout).toBe(
      `removed ${DEFAULT_MODEL}\n`,
    );
    expect((await runCliCaptured(['--home', home, 'models', 'rm', 'nope'])).stderr).toMatch(
      /Unknown model "nope"/,
    );
  });
});

describe('docsight models pull|list|rm qwen3-embedding-0.6b', () => {
  it('pulls the embedding model from its pinned revision, lists it and removes it', async () => {
    const home = tempHome();
    vi.stubEnv('HF_ENDPOINT', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      requested.length = 0;
      const { code } = await runCliCaptured(['--home', home, 'models', 'pull', DEFAULT_EMBEDDING_MODEL]);
      expect(code).toBe(1); // this mirror has nothing
      expect(requested[0]).toBe(
        '/Qwen/Qwen3-Embedding-0.6B-GGUF/resolve/370f27d7550e0def9b39c1f16d3fbaa13aa67728/Qwen3-Embedding-0.6B-Q8_0.gguf',
      );
    } finally {
      vi.unstubAllEnvs();
    }
    const listed = await runCliCaptured(['--home', home, 'models', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`^${DEFAULT_EMBEDDING_MODEL}\\tabsent\\t0\\.64 GB`, 'm'));
    mkdirSync(modelDir(home, DEFAULT_EMBEDDING_MODEL), { recursive: true });
    writeFileSync(join(modelDir(home, DEFAULT_EMBEDDING_MODEL), 'Qwen3-Embedding-0.6B-Q8_0.gguf.part'), 'x');
    const json = JSON.parse((await runCliCaptured(['--home', home, 'models', 'list', '--json'])).stdout);
    expect(json.find((m: { name: string }) => m.name === DEFAULT_EMBEDDING_MODEL)).toMatchObject({
      state: 'partial',
    });
    expect((await runCliCaptured(['--home', home, 'models', 'rm', DEFAULT_EMBEDDING_MODEL])).stdout).toBe(
      `removed ${DEFAULT_EMBEDDING_MODEL}\n`,
    );
  });
});
