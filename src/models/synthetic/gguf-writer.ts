import { open } from 'node:fs/promises';
import {
  alignUp,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VERSION,
  GgufValueType,
  type GgmlType,
  tensorBytes,
} from '../gguf/gguf-format.js';

/** One metadata value, tagged with its on-disk type so numbers keep their exact width. */
export type GgufValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'u32[]'; value: readonly number[] }
  | { type: 'i32[]'; value: readonly number[] }
  | { type: 'f32[]'; value: readonly number[] }
  | { type: 'bool[]'; value: readonly boolean[] }
  | { type: 'string[]'; value: readonly string[] };

export interface GgufTensorSpec {
  name: string;
  /** ggml order: ne0 (the contiguous dimension) first. */
  shape: readonly number[];
  type: GgmlType;
  /**
   * Produces the tensor's bytes in order, in chunks of any size; their total must equal
   * `tensorBytes(type, shape)`. A generator, so a 1.8 GB model never sits in memory.
   */
  data: () => Iterable<Uint8Array>;
}

export interface GgufFileSpec {
  metadata: ReadonlyArray<readonly [string, GgufValue]>;
  tensors: readonly GgufTensorSpec[];
}

/** Growable little-endian byte sink for the header. */
class HeaderBytes {
  private buf: Buffer = Buffer.alloc(1 << 16);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u8(v: number): void {
    this.reserve(1);
    this.buf.writeUInt8(v, this.length);
    this.length += 1;
  }
  u32(v: number): void {
    this.reserve(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }
  f32(v: number): void {
    this.reserve(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }
  u64(v: number): void {
    this.reserve(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  str(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.reserve(bytes.length);
    bytes.copy(this.buf, this.length);
    this.length += bytes.length;
  }
  pad(alignment: number): void {
    const target = alignUp(this.length, alignment);
    this.reserve(target - this.length);
    this.buf.fill(0, this.length, target);
    this.length = target;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeValue(h: HeaderBytes, v: GgufValue): void {
  const array = (elemType: number, n: number, each: (i: number) => void): void => {
    h.u32(GgufValueType.ARRAY);
    h.u32(elemType);
    h.u64(n);
    for (let i = 0; i < n; i++) each(i);
  };
  switch (v.type) {
    case 'u32':
      h.u32(GgufValueType.UINT32);
      return h.u32(v.value);
    case 'i32':
      h.u32(GgufValueType.INT32);
      return h.i32(v.value);
    case 'f32':
      h.u32(GgufValueType.FLOAT32);
      return h.f32(v.value);
    case 'bool':
      h.u32(GgufValueType.BOOL);
      return h.u8(v.value ? 1 : 0);
    case 'string':
      h.u32(GgufValueType.STRING);
      return h.str(v.value);
    case 'u32[]':
      return array(GgufValueType.UINT32, v.value.length, (i) => h.u32(v.value[i]!));
    case 'i32[]':
      return array(GgufValueType.INT32, v.value.length, (i) => h.i32(v.value[i]!));
    case 'f32[]':
      return array(GgufValueType.FLOAT32, v.value.length, (i) => h.f32(v.value[i]!));
    case 'bool[]':
      return array(GgufValueType.BOOL, v.value.length, (i) => h.u8(v.value[i] ? 1 : 0));
    case 'string[]':
      return array(GgufValueType.STRING, v.value.length, (i) => h.str(v.value[i]!));
  }
}

/**
 * Writes a GGUF v3 file: header, metadata, tensor infos, then each tensor's data at a 32-byte aligned
 * offset. Data is streamed from each tensor's generator, so memory stays flat whatever the file size.
 * Returns the number of bytes written.
 *
 * @example
 *   await writeGguf('/tmp/x.gguf', {
 *     metadata: [['general.architecture', { type: 'string', value: 'qwen3vl' }]],
 *     tensors: [{ name: 'w', shape: [32], type: GgmlType.F32, data: () => [new Uint8Array(128)] }],
 *   });
 */
export async function writeGguf(path: string, spec: GgufFileSpec): Promise<number> {
  const alignment = GGUF_DEFAULT_ALIGNMENT;
  const h = new HeaderBytes();
  h.u32(GGUF_MAGIC);
  h.u32(GGUF_VERSION);
  h.u64(spec.tensors.length);
  h.u64(spec.metadata.length);
  for (const [key, value] of spec.metadata) {
    h.str(key);
    writeValue(h, value);
  }
  let offset = 0;
  const sizes: number[] = [];
  for (const t of spec.tensors) {
    const size = tensorBytes(t.type, t.shape);
    sizes.push(size);
    h.str(t.name);
    h.u32(t.shape.length);
    for (const d of t.shape) h.u64(d);
    h.u32(t.type);
    h.u64(offset);
    offset = alignUp(offset + size, alignment);
  }
  h.pad(alignment);

  const file = await open(path, 'w');
  try {
    let position = 0;
    const put = async (chunk: Uint8Array): Promise<void> => {
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await file.write(chunk, done, chunk.length - done, position);
        done += bytesWritten;
        position += bytesWritten;
      }
    };
    await put(h.bytes());
    for (const [i, t] of spec.tensors.entries()) {
      let written = 0;
      for (const chunk of t.data()) {
        await put(chunk);
        written += chunk.length;
      }
      if (written !== sizes[i]) {
        throw new Error(`tensor ${t.name}: data gave ${written} bytes, its shape needs ${sizes[i]}`);
      }
      const padded = alignUp(position, alignment);
      if (padded > position) await put(new Uint8Array(padded - position));
    }
    return position;
  } finally {
    await file.close();
  }
}

/** Metadata values by type, for specs: `['qwen3.block_count', u32(28)]`. */
export const u32 = (value: number): GgufValue => ({ type: 'u32', value });
export const f32 = (value: number): GgufValue => ({ type: 'f32', value });
export const str = (value: string): GgufValue => ({ type: 'string', value });
