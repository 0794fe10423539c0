import { blockLayout, GgmlType } from '../gguf/gguf-format.js';
import type { GgufTensorSpec } from './gguf-writer.js';

/**
 * Random tensor payloads for synthetic models. Weights are random by design: the point is a file of
 * the real architecture, size and types, so load, encode, prefill and decode cost what the real
 * model costs. Values are kept small so activations stay finite through the layers.
 */

/** A small seeded PRNG (mulberry32): the same seed writes the same file. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half-precision bits of `value` (round toward zero; exact enough for random weights). */
export function toHalfBits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) return sign; // too small for a normal half: zero
  if (exp >= 31) return sign | 0x7c00; // overflow: infinity
  return sign | (exp << 10) | (mant >>> 13);
}

/** Elements per pool: large enough to look random to a matmul, small enough to build in milliseconds. */
const POOL_ELEMS = 1 << 20;

/**
 * A buffer of valid, random blocks of `type`, reused (with shifting start offsets) for every tensor.
 * Q8_0/Q4_0 blocks get a constant scale and a random payload, which is the cheapest valid content.
 */
export function makeBlockPool(type: GgmlType, random: () => number, scale = 0.02): Buffer {
  const { blockElems, blockBytes } = blockLayout(type);
  const blocks = POOL_ELEMS / blockElems;
  const out = Buffer.alloc(blocks * blockBytes);
  switch (type) {
    case GgmlType.F32:
      for (let i = 0; i < POOL_ELEMS; i++) out.writeFloatLE((random() * 2 - 1) * scale, i * 4);
      break;
    case GgmlType.F16:
      for (let i = 0; i < POOL_ELEMS; i++) out.writeUInt16LE(toHalfBits((random() * 2 - 1) * scale), i * 2);
      break;
    case GgmlType.Q8_0: {
      const d = toHalfBits(scale / 64); // int8 values of ~±64 times d ≈ ±scale
      for (let b = 0; b < blocks; b++) {
        const o = b * blockBytes;
        out.writeUInt16LE(d, o);
        for (let j = 0; j < 32; j++) out.writeInt8(Math.floor(random() * 255) - 127, o + 2 + j);
      }
      break;
    }
    case GgmlType.Q4_0: {
      const d = toHalfBits(scale / 4); // nibbles 0..15 mean -8..7 times d
      for (let b = 0; b < blocks; b++) {
        const o = b * blockBytes;
        out.writeUInt16LE(d, o);
        for (let j = 0; j < 16; j++) out.writeUInt8(Math.floor(random() * 256), o + 2 + j);
      }
      break;
    }
  }
  return out;
}

/**
 * Yields `bytes` bytes cut from `pool`, starting at a block boundary picked by `random`, wrapping
 * around; chunks are at most the pool's size.
 */
export function* cyclePool(
  pool: Buffer,
  blockBytes: number,
  bytes: number,
  random: () => number,
): Generator<Buffer> {
  const blocks = pool.length / blockBytes;
  let at = Math.floor(random() * blocks) * blockBytes;
  let left = bytes;
  while (left > 0) {
    const n = Math.min(left, pool.length - at);
    yield pool.subarray(at, at + n);
    left -= n;
    at = (at + n) % pool.length;
  }
}

/** Yields a constant-valued F32 tensor (norm weights of 1, biases of 0). */
export function* constantF32(elems: number, value: number): Generator<Buffer> {
  const chunk = Buffer.alloc(Math.min(elems, 1 << 16) * 4);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeFloatLE(value, i);
  let left = elems * 4;
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    yield chunk.subarray(0, n);
    left -= n;
  }
}

/**
 * Makes the tensors of a synthetic file: random ones filled from one block pool per type (made when
 * the type is first asked for), constant F32 ones for norms and biases. The order of the calls
 * decides the random stream, so the same calls write the same bytes.
 *
 * @example
 *   const f = new TensorFactory(seededRandom(1));
 *   const tensors = [f.random_('token_embd.weight', [64, 512], GgmlType.Q8_0), f.constant('output_norm.weight', [64], 1)];
 */
export class TensorFactory {
  private pools = new Map<GgmlType, Buffer>();
  constructor(private readonly random: () => number) {}

  private pool(type: GgmlType): Buffer {
    let p = this.pools.get(type);
    if (!p) {
      p = makeBlockPool(type, this.random);
      this.pools.set(type, p);
    }
    return p;
  }
  random_(name: string, shape: number[], type: GgmlType): GgufTensorSpec {
    const pool = this.pool(type);
    const { blockBytes, blockElems } = blockLayout(type);
    const bytes = (shape.reduce((a, b) => a * b, 1) / blockElems) * blockBytes;
    const start = this.random();
    return { name, shape, type, data: () => cyclePool(pool, blockBytes, bytes, () => start) };
  }
  constant(name: string, shape: number[], value: number): GgufTensorSpec {
    const elems = shape.reduce((a, b) => a * b, 1);
    return { name, shape, type: GgmlType.F32, data: () => constantF32(elems, value) };
  }
}
