import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GgmlType, tensorBytes } from '../gguf/gguf-format.js';
import { readGgufHeader } from '../gguf/gguf-reader.js';
import { planQwen3Embedding, synthesizeQwen3Embedding } from './qwen3-embedding-synth.js';

const dir = await mkdtemp(join(tmpdir(), 'embed-synth-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const matrixParams = (tensors: readonly { shape: readonly number[]; type: GgmlType }[]) =>
  tensors.filter((t) => t.type === GgmlType.Q8_0).reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);

describe('synthesizeQwen3Embedding', () => {
  it('writes a tiny qwen3 model that asks for last-token pooling and an appended end-of-text', async () => {
    const r = await synthesizeQwen3Embedding({ size: 'tiny', outDir: dir });
    expect((await stat(r.model)).size).toBe(r.bytes);
    expect(r.bytes).toBeLessThan(1_000_000);
    expect(r.dimensions).toBe(64);
    const h = await readGgufHeader(r.model);
    expect(h.metadata.get('general.architecture')).toBe('qwen3');
    expect(h.metadata.get('qwen3.pooling_type')).toBe(3); // LLAMA_POOLING_TYPE_LAST
    expect(h.metadata.get('tokenizer.ggml.add_eos_token')).toBe(true);
    const tokens = h.metadata.get('tokenizer.ggml.tokens') as string[];
    expect(tokens[h.metadata.get('tokenizer.ggml.eos_token_id') as number]).toBe('<|endoftext|>');
    expect(h.tensors.find((t) => t.name === 'blk.1.ffn_down.weight')).toMatchObject({
      shape: [128, 64],
      type: GgmlType.Q8_0,
    });
  });

  it('can write the tokenizer metadata of GGUFs converted before llama.cpp knew the template', async () => {
    const r = await synthesizeQwen3Embedding({
      size: 'tiny',
      outDir: dir,
      addEosToken: false,
      eosToken: 'im_end',
    });
    const h = await readGgufHeader(r.model);
    expect(h.metadata.get('tokenizer.ggml.add_eos_token')).toBe(false);
    const tokens = h.metadata.get('tokenizer.ggml.tokens') as string[];
    expect(tokens[h.metadata.get('tokenizer.ggml.eos_token_id') as number]).toBe('<|im_end|>');
  });

  it('is deterministic for a seed and differs between seeds', async () => {
    const a = await synthesizeQwen3Embedding({ size: 'tiny', outDir: join(dir, 'a'), seed: 5 });
    const b = await synthesizeQwen3Embedding({ size: 'tiny', outDir: join(dir, 'b'), seed: 5 });
    const c = await synthesizeQwen3Embedding({ size: 'tiny', outDir: join(dir, 'c'), seed: 6 });
    expect((await readFile(a.model)).equals(await readFile(b.model))).toBe(true);
    expect((await readFile(a.model)).equals(await readFile(c.model))).toBe(false);
  });
});

describe('planQwen3Embedding("full")', () => {
  it('has exactly Qwen3-Embedding-0.6B dimensions', () => {
    const { tensors } = planQwen3Embedding('full');
    const byName = new Map(tensors.map((t) => [t.name, t]));
    expect(byName.get('token_embd.weight')?.shape).toEqual([1024, 151_669]);
    expect(byName.get('blk.27.attn_q.weight')?.shape).toEqual([1024, 2048]);
    expect(byName.get('blk.27.attn_k.weight')?.shape).toEqual([1024, 1024]);
    expect(byName.get('blk.27.ffn_up.weight')?.shape).toEqual([1024, 3072]);
    expect(byName.has('blk.28.attn_q.weight')).toBe(false);
    expect(byName.has('output.weight')).toBe(false); // tied to token_embd
    // 0.596 B parameters in the matrices: 155.3 M embedding + 28 × 15.7 M per layer.
    expect(matrixParams(tensors)).toBe(595_710_976);
  });

  it('is about the size of the published Q8_0 file (639 150 592 bytes)', () => {
    const data = planQwen3Embedding('full').tensors.reduce((n, t) => n + tensorBytes(t.type, t.shape), 0);
    // The published file also holds the BPE merges and real token strings (a few MB of header).
    expect(data).toBeGreaterThan(630_000_000);
    expect(data).toBeLessThan(639_150_592);
  });
});
