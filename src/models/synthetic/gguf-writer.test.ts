import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GgmlType, tensorBytes } from '../gguf/gguf-format.js';
import { GgufFormatError, readGgufHeader } from '../gguf/gguf-reader.js';
import { writeGguf } from './gguf-writer.js';
import { makeBlockPool, seededRandom, toHalfBits } from './random-blocks.js';

const dir = await mkdtemp(join(tmpdir(), 'gguf-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('writeGguf + readGgufHeader', () => {
  it('round-trips metadata of every kind and the tensor table', async () => {
    const path = join(dir, 'a.gguf');
    const q8 = makeBlockPool(GgmlType.Q8_0, seededRandom(1));
    const bytes = await writeGguf(path, {
      metadata: [
        ['general.architecture', { type: 'string', value: 'qwen3vl' }],
        ['n', { type: 'u32', value: 28 }],
        ['neg', { type: 'i32', value: -3 }],
        ['eps', { type: 'f32', value: 0.5 }],
        ['flag', { type: 'bool', value: true }],
        ['sections', { type: 'i32[]', value: [24, 20, 20, 0] }],
        ['mask', { type: 'bool[]', value: [false, true] }],
        ['words', { type: 'string[]', value: ['a', 'ü', ''] }],
      ],
      tensors: [
        { name: 'norm', shape: [3], type: GgmlType.F32, data: () => [new Uint8Array(12)] },
        { name: 'w', shape: [64, 2], type: GgmlType.Q8_0, data: () => [q8.subarray(0, 4 * 34)] },
      ],
    });
    const h = await readGgufHeader(path);
    expect(h.version).toBe(3);
    expect(Object.fromEntries(h.metadata)).toEqual({
      'general.architecture': 'qwen3vl',
      n: 28,
      neg: -3,
      eps: 0.5,
      flag: true,
      sections: [24, 20, 20, 0],
      mask: [false, true],
      words: ['a', 'ü', ''],
    });
    expect(h.tensors).toEqual([
      { name: 'norm', shape: [3], type: GgmlType.F32, offset: 0 },
      { name: 'w', shape: [64, 2], type: GgmlType.Q8_0, offset: 32 }, // 12 bytes padded to 32
    ]);
    expect(h.dataOffset % 32).toBe(0);
    expect(bytes).toBe(h.dataOffset + 32 + 4 * 34 + 24); // last tensor padded to 32 as well
  });

  it('refuses data that does not match the declared shape', async () => {
    await expect(
      writeGguf(join(dir, 'bad.gguf'), {
        metadata: [],
        tensors: [{ name: 'x', shape: [4], type: GgmlType.F32, data: () => [new Uint8Array(8)] }],
      }),
    ).rejects.toThrow('tensor x: data gave 8 bytes, its shape needs 16');
  });

  it('rejects files that are not GGUF, and truncated ones', async () => {
    const notGguf = join(dir, 'x.bin');
    await writeFile(notGguf, Buffer.from('PK\x03\x04 this is a zip file, not a model'));
    await expect(readGgufHeader(notGguf)).rejects.toThrow(GgufFormatError);
    await expect(readGgufHeader(notGguf)).rejects.toThrow('not a GGUF file');

    const cut = join(dir, 'cut.gguf');
    await writeGguf(cut, {
      metadata: [['words', { type: 'string[]', value: Array.from({ length: 100 }, (_, i) => `w${i}`) }]],
      tensors: [],
    });
    await truncate(cut, 200);
    await expect(readGgufHeader(cut)).rejects.toThrow('truncated');
  });
});

describe('block layouts', () => {
  it('sizes quantized tensors by block', () => {
    expect(tensorBytes(GgmlType.Q8_0, [2048, 2048])).toBe((2048 * 2048 * 34) / 32);
    expect(tensorBytes(GgmlType.Q4_0, [2048, 6144])).toBe((2048 * 6144 * 18) / 32);
    expect(() => tensorBytes(GgmlType.Q4_0, [16])).toThrow('not a multiple of 32');
  });

  it('encodes halves exactly for representable values', () => {
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(0.5)).toBe(0x3800);
    expect(toHalfBits(1e-10)).toBe(0); // below the half range: zero
  });
});
