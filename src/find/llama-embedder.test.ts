import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeGguf } from '../models/synthetic/gguf-writer.js';
import { planQwen3Embedding, synthesizeQwen3Embedding } from '../models/synthetic/qwen3-embedding-synth.js';
import { synthesizeQwen3Vl } from '../models/synthetic/qwen3vl-synth.js';
import { formatEmbeddingQuery, LlamaEmbedder } from './llama-embedder.js';

// The real path: a tiny synthetic Qwen3-Embedding GGUF, the compiled addon, a child process. Random
// weights give deterministic vectors with no meaning, so nothing here measures retrieval quality.
const native = process.env.DOCSIGHT_SKIP_NATIVE === '1' ? describe.skip : describe;

const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
const norm = (a: Float32Array): number => Math.sqrt(dot(a, a));

const dir = await mkdtemp(join(tmpdir(), 'llama-embedder-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

native('LlamaEmbedder (tiny synthetic Qwen3-Embedding, real llama.cpp in a child process)', () => {
  let model: string;
  let embedder: LlamaEmbedder;

  beforeAll(async () => {
    model = (await synthesizeQwen3Embedding({ size: 'tiny', outDir: dir })).model;
    embedder = await LlamaEmbedder.open({ model, nCtx: 256, nBatch: 32, nSeqMax: 4 });
  });
  afterAll(() => embedder?.close());

  it('gives one unit vector of the model dimension per text, last-token pooled', async () => {
    const info = await embedder.start();
    expect(info).toMatchObject({
      dimensions: 64,
      pooling: 'last',
      modelAddsEos: true,
      ownLastPooling: true,
      endToken: '<|endoftext|>',
    });
    expect(embedder.dimensions).toBe(64);
    const vectors = await embedder.embed(['增值税专用发票', 'Total 112.45', 'a'], 'document');
    expect(vectors).toHaveLength(3);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v).toHaveLength(64);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    expect(dot(vectors[0]!, vectors[1]!)).toBeLessThan(0.9999); // different texts, different vectors
  });

  it('names the model by file name, size and a content hash, so a library never mixes two models', () => {
    expect(embedder.model).toMatch(/^qwen3-embedding-tiny-q8_0\.gguf:\d+:[0-9a-f]{12}$/);
  });

  it('gives the same vector for the same text, and batching gives the vectors of one-by-one calls', async () => {
    const texts = ['first chunk of a receipt', '第二段：合同金额', 'third', 'fourth text, a little longer'];
    const batched = await embedder.embedDetailed(texts, 'document');
    // 4 texts in one call: several sequences share llama_decode calls of 32 tokens.
    expect(batched.totalTokens).toBe(batched.tokenCounts.reduce((a, b) => a + b, 0));
    for (const [i, text] of texts.entries()) {
      const [alone] = await embedder.embed([text], 'document');
      expect(dot(alone!, batched.vectors[i]!)).toBeGreaterThan(0.9999);
    }
    const [again] = await embedder.embed([texts[0]!], 'document');
    expect(Array.from(again!)).toEqual(Array.from(batched.vectors[0]!));
  });

  it('puts the Qwen3-Embedding instruction before queries, not before documents', async () => {
    expect(formatEmbeddingQuery('vat invoice')).toBe(
      'Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:vat invoice',
    );
    const [query] = await embedder.embed(['vat invoice'], 'query');
    const [asDocument] = await embedder.embed([formatEmbeddingQuery('vat invoice')], 'document');
    const [plain] = await embedder.embed(['vat invoice'], 'document');
    expect(Array.from(query!)).toEqual(Array.from(asDocument!));
    expect(dot(query!, plain!)).toBeLessThan(0.9999);
  });

  it('cuts a text longer than the context to it and says which one', async () => {
    const long = 'x'.repeat(600); // one token per byte in the byte-level vocabulary
    const r = await embedder.embedDetailed(['short', long], 'document');
    expect(r.truncated).toEqual([1]);
    expect(r.tokenCounts[1]).toBe(256); // the context, end-of-text token included
    expect(r.originalTokenCounts[1]).toBe(601);
    expect(norm(r.vectors[1]!)).toBeCloseTo(1, 5);
    expect(embedder.truncatedTexts).toBeGreaterThanOrEqual(1);
  });

  it("reads the same vectors as llama.cpp's own LAST pooling, which also runs the LM head on every token", async () => {
    const reference = await LlamaEmbedder.open({
      model,
      nCtx: 256,
      nBatch: 32,
      nSeqMax: 4,
      llamaPooling: true,
    });
    try {
      expect((await reference.start()).ownLastPooling).toBe(false);
      const texts = ['增值税专用发票', 'x'.repeat(70), 'Total 112.45', 'y'.repeat(300)];
      const theirs = await reference.embed(texts, 'document');
      const ours = await embedder.embed(texts, 'document');
      for (const [i, v] of ours.entries()) expect(dot(v, theirs[i]!)).toBeGreaterThan(0.9999);
    } finally {
      await reference.close();
    }
  });

  it('appends <|endoftext|> itself when an older GGUF neither asks for it nor names it as EOS', async () => {
    // Same seed, same weights; only the tokenizer metadata differs: no add_eos_token flag, and
    // <|im_end|> named as EOS, as Qwen3-Embedding GGUFs converted before llama.cpp knew its template.
    const old = await synthesizeQwen3Embedding({
      size: 'tiny',
      outDir: dir,
      addEosToken: false,
      eosToken: 'im_end',
    });
    const oldEmbedder = await LlamaEmbedder.open({ model: old.model, nCtx: 256 });
    try {
      expect(await oldEmbedder.start()).toMatchObject({ modelAddsEos: false, endToken: '<|endoftext|>' });
      const [a] = await oldEmbedder.embed(['Total 112.45'], 'document');
      const [b] = await embedder.embed(['Total 112.45'], 'document');
      expect(dot(a!, b!)).toBeGreaterThan(0.9999);
    } finally {
      await oldEmbedder.close();
    }
  });

  it('survives the embedding process dying: the call fails with ENGINE_FAILED, the next one works', async () => {
    await embedder.start();
    const pid = embedder.pid!;
    const pending = embedder.embed(['x'.repeat(250), 'y'.repeat(250), 'z'.repeat(250)], 'document');
    process.kill(pid, 'SIGKILL');
    await expect(pending).rejects.toMatchObject({ code: 'ENGINE_FAILED' });
    const [v] = await embedder.embed(['after the crash'], 'document');
    expect(norm(v!)).toBeCloseTo(1, 5);
    expect(embedder.pid).not.toBe(pid);
  });
});

native('LlamaEmbedder with bad model files', () => {
  it('says a missing file is missing', async () => {
    await expect(LlamaEmbedder.open({ model: join(dir, 'nope.gguf') })).rejects.toMatchObject({
      code: 'MODEL_MISSING',
      message: expect.stringMatching(/does not exist/),
    });
  });

  it('refuses a truncated download before llama.cpp sees it', async () => {
    const { model } = await synthesizeQwen3Embedding({ size: 'tiny', outDir: join(dir, 'cut') });
    await truncate(model, 50_000);
    await expect(LlamaEmbedder.open({ model })).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringMatching(/truncated/),
    });
  });

  it('refuses a file that is not a GGUF at all', async () => {
    const path = join(dir, 'notes.gguf');
    await writeFile(path, 'these are not weights\n'.repeat(100));
    await expect(LlamaEmbedder.open({ model: path })).rejects.toMatchObject({ code: 'MODEL_INVALID' });
  });

  it('refuses the vision-language model: it has no pooling, so it is not an embedding model', async () => {
    const { model } = await synthesizeQwen3Vl({ size: 'tiny', outDir: join(dir, 'vlm') });
    await expect(LlamaEmbedder.open({ model })).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringMatching(/not an embedding model/),
    });
  });

  it('reports a file llama.cpp cannot load (a tensor missing) as MODEL_INVALID, without a crash', async () => {
    const spec = planQwen3Embedding('tiny');
    const path = join(dir, 'missing-tensor.gguf');
    await writeGguf(path, { ...spec, tensors: spec.tensors.filter((t) => t.name !== 'blk.1.ffn_up.weight') });
    const broken = await LlamaEmbedder.open({ model: path });
    try {
      await expect(broken.embed(['text'], 'document')).rejects.toMatchObject({ code: 'MODEL_INVALID' });
      // The next call tries again and fails the same way: no process left in a bad state.
      await expect(broken.embed(['text'], 'document')).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    } finally {
      await broken.close();
    }
  });
});
