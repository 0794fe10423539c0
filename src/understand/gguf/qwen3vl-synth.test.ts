import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GgmlType, tensorBytes } from './gguf-format.js';
import { readGgufHeader } from './gguf-reader.js';
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

  it('q8_0 is ~1.8 GB and q4_0 ~1 GB, as the real quantized files', () => {
    const bytes = (q: 'q8_0' | 'q4_0') =>
      planQwen3Vl('full', q).text.tensors.reduce((n, t) => n + tensorBytes(t.type, t.shape), 0);
    expect(bytes('q8_0') / 1e9).toBeCloseTo(1.83, 1);
    expect(bytes('q4_0') / 1e9).toBeCloseTo(0.97, 1);
  });
});
