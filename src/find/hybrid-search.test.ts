import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addToLibrary } from '../ingest/add-to-library.js';
import { embedMissingChunks } from '../ingest/embed-missing-chunks.js';
import { startIngestWorkers } from '../ingest/ingest-workers.js';
import { readPlainTextPages } from '../ingest/plain-text-reader.js';
import { openLibrary, type Library } from '../store/library.js';
import { synthesizeQwen3Embedding } from '../models/synthetic/qwen3-embedding-synth.js';
import type { Embedder } from './embedder.js';
import { LlamaEmbedder } from './llama-embedder.js';
import { searchLibrary } from './search-library.js';

// Ingestion and hybrid search with the real embedding engine: a tiny synthetic Qwen3-Embedding GGUF
// (random weights) in a child process. Random weights rank by nothing meaningful, so these tests
// check the plumbing — vectors written, fused ranks, filters, modes — never which page wins on meaning.
const native = process.env.DOCSIGHT_SKIP_NATIVE === '1' ? describe.skip : describe;

const DOCS: Record<string, string> = {
  'vat-invoice.txt': '上海增值税专用发票\n开票日期 2018-02-12\n金额合计 112.45',
  'receipt.txt': 'PERNIAGAAN ZHENG HUI\nDATE 12/02/2018\nTOTAL RM 112.45\nThank you',
  'letter.txt': 'Dear customer,\nThe shipments were delayed.\f Page two about invoices and payments.',
};

async function ingest(library: Library, embedder?: Embedder): Promise<void> {
  for (const [name, content] of Object.entries(DOCS)) {
    await addToLibrary(
      library,
      { bytes: new TextEncoder().encode(content), name },
      { collection: name.split('.')[0] },
    );
  }
  const workers = startIngestWorkers({ library, readPages: readPlainTextPages, pollMs: 20, embedder });
  await workers.settled();
  await workers.stop();
}

const dir = await mkdtemp(join(tmpdir(), 'hybrid-search-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

native('hybrid search over a library ingested with the embedding engine', () => {
  let embedder: LlamaEmbedder;
  let library: Library;

  beforeAll(async () => {
    const { model } = await synthesizeQwen3Embedding({ size: 'tiny', outDir: dir });
    embedder = await LlamaEmbedder.open({ model, nCtx: 256 });
    library = openLibrary(join(dir, 'with-vectors'));
    await ingest(library, embedder);
  });
  afterAll(async () => {
    await library?.close();
    await embedder?.close();
  });

  it('writes a vector for every chunk, under the model it came from', async () => {
    expect(await library.store.vectorIndexInfo()).toEqual({ model: embedder.model, dimensions: 64 });
    expect((await library.store.stats()).chunks).toBe(4); // the letter has two pages
    expect(await library.store.chunksWithoutVectors(10)).toEqual([]);
  });

  it('fuses BM25 and dense ranks: reciprocal-rank scores, dense hits included', async () => {
    const plain = await searchLibrary(library.store, 'zheng hui', { k: 4 });
    const hybrid = await searchLibrary(library.store, 'zheng hui', { k: 4, embedder });
    expect(plain.mode).toBe('bm25');
    expect(plain.results.map((r) => r.documentName)).toEqual(['receipt.txt']);
    expect(hybrid).toMatchObject({ mode: 'hybrid', note: undefined });
    // Dense retrieval ranks every page, so the fused list has all four; the BM25 hit is in it.
    expect(hybrid.results).toHaveLength(4);
    expect(hybrid.results.map((r) => r.documentName)).toContain('receipt.txt');
    for (const r of hybrid.results) {
      expect(r.score).toBeGreaterThan(1 / 65 - 1e-9); // at least rank 4 in one list
      expect(r.score).toBeLessThanOrEqual(2 / 61 + 1e-9); // at most rank 1 in both
    }
    const scores = hybrid.results.map((r) => r.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('finds pages by dense retrieval alone when no word matches', async () => {
    const res = await searchLibrary(library.store, 'quarterly forecast', { k: 2, embedder });
    expect(res.mode).toBe('hybrid');
    expect(res.results).toHaveLength(2);
    expect((await searchLibrary(library.store, 'quarterly forecast', { k: 2 })).results).toEqual([]);
  });

  it('applies filters to the dense side too', async () => {
    const res = await searchLibrary(library.store, 'payments', {
      k: 5,
      embedder,
      filters: { collection: 'letter' },
    });
    expect(res.mode).toBe('hybrid');
    expect(new Set(res.results.map((r) => r.documentName))).toEqual(new Set(['letter.txt']));
    expect(res.results.map((r) => r.page).sort()).toEqual([1, 2]);
  });

  it('stays BM25, and says why, when the library holds another model’s vectors', async () => {
    const other: Embedder = {
      ...embedder,
      model: 'another-model.gguf:1:000000000000',
      embed: embedder.embed,
    };
    const res = await searchLibrary(library.store, 'zheng hui', { k: 3, embedder: other });
    expect(res).toMatchObject({
      mode: 'bm25',
      note: expect.stringMatching(/vectors come from .* BM25 only/),
    });
    await expect(embedMissingChunks(library, other)).rejects.toMatchObject({ code: 'BAD_CONFIG' });
  });

  it('fills vectors for a library ingested before the model was configured, resuming after a failure', async () => {
    const old = openLibrary(join(dir, 'without-vectors'));
    try {
      await ingest(old);
      expect(await old.store.vectorIndexInfo()).toBeUndefined();
      const before = await searchLibrary(old.store, 'zheng hui', { k: 3, embedder });
      expect(before).toMatchObject({ mode: 'bm25', note: expect.stringMatching(/no vectors yet/) });

      // Test double around the real embedder: fails on its second batch, like a crash mid-run.
      let calls = 0;
      const failing: Embedder = {
        model: embedder.model,
        dimensions: embedder.dimensions,
        embed: (texts, kind) =>
          ++calls === 2 ? Promise.reject(new Error('interrupted')) : embedder.embed(texts, kind),
      };
      await expect(embedMissingChunks(old, failing, { batchSize: 2 })).rejects.toThrow('interrupted');
      expect(await old.store.chunksWithoutVectors(10)).toHaveLength(2); // the first batch was kept

      expect(await embedMissingChunks(old, embedder, { batchSize: 2 })).toBe(2);
      expect(await old.store.chunksWithoutVectors(10)).toEqual([]);
      const after = await searchLibrary(old.store, 'zheng hui', { k: 3, embedder });
      expect(after.mode).toBe('hybrid');
      // The same chunks with the same model give the same vectors as ingesting with it.
      const a = await searchLibrary(old.store, 'quarterly forecast', { k: 4, embedder });
      const b = await searchLibrary(library.store, 'quarterly forecast', { k: 4, embedder });
      expect(a.results.map((r) => [r.documentName, r.page])).toEqual(
        b.results.map((r) => [r.documentName, r.page]),
      );
      expect(await old.store.checkIntegrity()).toBe('ok');
    } finally {
      await old.close();
    }
  });
});
