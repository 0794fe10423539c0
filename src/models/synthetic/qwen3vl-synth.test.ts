import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLlamaEngine } from '../../understand/engine/llama-engine.js';
import { testImage } from '../../understand/engine/test-support/test-models.js';
import { GgmlType, tensorBytes } from '../gguf/gguf-format.js';
import { readGgufHeader } from '../gguf/gguf-reader.js';
import { planQwen3Vl, synthesizeQwen3Vl } from './qwen3vl-synth.js';

const dir = await mkdtemp(join(tmpdir(), 'synth-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const params = (tensors: { shape: readonly number[] }[]) =>
  tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);

describe('synthesizeQwen3Vl', () => {
  it('writes a tiny text model and mmproj of the qwen3vl architecture, a few hundred kB', async () => {
    const r = await synthesizeQwen3Vl({ size: 'tiny', outDir: dir });
    expect((await stat(r.model)).size).toBe(r.modelBytes);
    expect(r.modelBytes + r.mmprojBytes).toBeLessThan(5_000_000);
    const text = await readGgufHeader(r.model);
    expect(text.metadata.get('general.architecture')).toBe('qwen3vl');
    expect(text.metadata.get('qwen3vl.rope.dimension_sections')).toEqual([4, 2, 2, 0]);
    expect(text.tensors.find((t) => t.name === 'blk.1.ffn_down.weight')).toMatchObject({
      shape: [128, 64],
      type: GgmlType.Q8_0,
    });
    const proj = await readGgufHeader(r.mmproj);
    expect(proj.metadata.get('clip.projector_type')).toBe('qwen3vl_merger');
    expect(proj.tensors.find((t) => t.name === 'v.position_embd.weight')).toMatchObject({
      shape: [32, 16],
      type: GgmlType.F32,
    });
  });

  it("writes a Q8_0 mmproj laid out as llama.cpp's converter lays out the official one", async () => {
    const r = await synthesizeQwen3Vl({ size: 'tiny', outDir: join(dir, 'q8'), mmprojQuant: 'q8_0' });
    expect(r.mmproj).toMatch(/mmproj-qwen3vl-tiny-q8_0\.gguf$/);
    const proj = await readGgufHeader(r.mmproj);
    expect(proj.metadata.get('general.file_type')).toBe(7); // MOSTLY_Q8_0
    const type = (name: string) => proj.tensors.find((t) => t.name === name)?.type;
    // The large 2-D matrices are quantised ...
    for (const name of [
      'v.blk.1.attn_qkv.weight',
      'v.blk.0.ffn_down.weight',
      'v.deepstack.0.fc1.weight',
      'mm.2.weight',
    ])
      expect(type(name), name).toBe(GgmlType.Q8_0);
    // ... norms, biases, the position table and the patch-embedding convolution are not.
    for (const name of [
      'v.blk.0.ln1.weight',
      'v.blk.0.attn_qkv.bias',
      'v.post_ln.weight',
      'v.position_embd.weight',
    ])
      expect(type(name), name).toBe(GgmlType.F32);
    expect(type('v.patch_embd.weight')).toBe(GgmlType.F32);
    expect(type('v.patch_embd.weight.1')).toBe(GgmlType.F32);
  });

  it('keeps the F16 mmproj as it was by default (same name, F16 matrices and patch kernels)', async () => {
    const r = await synthesizeQwen3Vl({ size: 'tiny', outDir: join(dir, 'f16') });
    expect(r.mmproj).toMatch(/mmproj-qwen3vl-tiny-f16\.gguf$/);
    const proj = await readGgufHeader(r.mmproj);
    const type = (name: string) => proj.tensors.find((t) => t.name === name)?.type;
    expect(proj.metadata.get('general.file_type')).toBe(1);
    expect(type('v.blk.1.attn_qkv.weight')).toBe(GgmlType.F16);
    expect(type('v.patch_embd.weight.1')).toBe(GgmlType.F16);
    expect(type('v.position_embd.weight')).toBe(GgmlType.F32);
  });

  it('is deterministic for a seed', async () => {
    const a = await synthesizeQwen3Vl({ size: 'tiny', outDir: join(dir, 'a'), seed: 7 });
    const b = await synthesizeQwen3Vl({ size: 'tiny', outDir: join(dir, 'b'), seed: 7 });
    const { readFile } = await import('node:fs/promises');
    expect((await readFile(a.model)).equals(await readFile(b.model))).toBe(true);
  });
});

describe('planQwen3Vl("full")', () => {
  // Qwen3-VL-2B: ~1.72 B text parameters (tied embeddings), ~0.41 B in the vision tower + mergers.
  it('has exactly Qwen3-VL-2B dimensions', () => {
    const { text, mmproj } = planQwen3Vl('full', 'q8_0');
    const byName = new Map(text.tensors.map((t) => [t.name, t]));
    expect(byName.get('token_embd.weight')?.shape).toEqual([2048, 151_936]);
    expect(byName.get('blk.27.attn_k.weight')?.shape).toEqual([2048, 1024]);
    expect(byName.get('blk.27.ffn_gate.weight')?.shape).toEqual([2048, 6144]);
    expect(byName.has('blk.28.attn_q.weight')).toBe(false);
    expect(byName.has('output.weight')).toBe(false); // tied to token_embd
    expect(params(text.tensors)).toBe(1_720_574_976);
    const vision = new Map(mmproj.tensors.map((t) => [t.name, t]));
    expect(vision.get('v.position_embd.weight')?.shape).toEqual([1024, 2304]);
    expect(vision.get('v.deepstack.17.fc2.weight')?.shape).toEqual([4096, 2048]);
    expect(vision.has('v.blk.23.attn_qkv.weight')).toBe(true);
    expect(params(mmproj.tensors)).toBeGreaterThan(400_000_000);
  });

  it("a Q8_0 mmproj holds the official mmproj-Qwen3VL-2B-Instruct-Q8_0.gguf's tensor bytes", () => {
    const bytes = (q: 'f16' | 'q8_0') =>
      planQwen3Vl('full', 'q8_0', q).mmproj.tensors.reduce((n, t) => n + tensorBytes(t.type, t.shape), 0);
    // The official file is 445 053 216 bytes (FACTS.md); what is not tensor data is its header (names,
    // shapes, metadata: tens of kB). Quantised patch kernels or an F16 position table would be MBs off.
    const official = 445_053_216;
    expect(bytes('q8_0')).toBeLessThan(official);
    expect(official - bytes('q8_0')).toBeLessThan(64 * 1024);
    expect(bytes('f16') / 1e9).toBeCloseTo(0.82, 2); // the F16 file of FACTS.md
  });

  it('q8_0 is ~1.8 GB and q4_0 ~1 GB, as the real quantized files', () => {
    const bytes = (q: 'q8_0' | 'q4_0') =>
      planQwen3Vl('full', q).text.tensors.reduce((n, t) => n + tensorBytes(t.type, t.shape), 0);
    expect(bytes('q8_0') / 1e9).toBeCloseTo(1.83, 1);
    expect(bytes('q4_0') / 1e9).toBeCloseTo(0.97, 1);
  });
});

// The real engine: llama.cpp's clip loader reads the Q8_0 mmproj and its qwen3vl graph encodes with it.
const native = process.env.DOCSIGHT_SKIP_NATIVE === '1' ? describe.skip : describe;

native('a Q8_0 mmproj in the real engine (tiny synthetic Qwen3-VL)', () => {
  it('loads and encodes an image as the F16 one does', async () => {
    const r = await synthesizeQwen3Vl({ size: 'tiny', outDir: join(dir, 'engine'), mmprojQuant: 'q8_0' });
    const engine = createLlamaEngine({ model: r.model, mmproj: r.mmproj, threads: 1 });
    try {
      await engine.start();
      const answer = await engine.complete({
        messages: [{ role: 'user', content: 'What is on this page?' }],
        images: [await testImage(448)],
        maxTokens: 4,
        ignoreEos: true,
      });
      expect(answer.stats.imagesEncoded).toBe(1);
      expect(answer.stats.imageTokens).toBe(196); // 448² → 14×14 merged tokens
      expect(answer.stats.generatedTokens).toBe(4);
    } finally {
      await engine.close();
    }
  });
});
