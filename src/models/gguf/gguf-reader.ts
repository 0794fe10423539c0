import { open } from 'node:fs/promises';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufValueType } from './gguf-format.js';

export type GgufScalar = number | bigint | boolean | string;
export type GgufMetaValue = GgufScalar | GgufScalar[];

export interface GgufTensorInfo {
  name: string;
  shape: number[];
  type: number;
  /** Offset of the data from the start of the data section. */
  offset: number;
}

export interface GgufHeader {
  version: number;
  metadata: Map<string, GgufMetaValue>;
  tensors: GgufTensorInfo[];
  /** Absolute file offset where tensor data starts. */
  dataOffset: number;
}

/** Thrown for anything that is not a well-formed GGUF header; the message says what was wrong. */
export class GgufFormatError extends Error {
  override name = 'GgufFormatError';
}

/**
 * Reads a file sequentially through a window, fetching more bytes on demand, so that a header with
 * a 150 000-entry vocabulary can be parsed without reading the gigabytes of tensor data behind it.
 */
class Cursor {
  private buf: Buffer = Buffer.alloc(0);
  private start = 0; // file offset of buf[0]
  pos = 0; // absolute file offset

  constructor(
    private readonly read: (position: number, length: number) => Promise<Buffer>,
    private readonly fileSize: number,
  ) {}

  private async need(n: number): Promise<void> {
    if (this.pos + n > this.fileSize) {
      throw new GgufFormatError(
        `truncated: needs ${n} bytes at offset ${this.pos}, file has ${this.fileSize}`,
      );
    }
    const end = this.start + this.buf.length;
    if (this.pos >= this.start && this.pos + n <= end) return;
    const length = Math.min(Math.max(n, 1 << 20), this.fileSize - this.pos);
    this.buf = await this.read(this.pos, length);
    this.start = this.pos;
  }
  async u8(): Promise<number> {
    await this.need(1);
    return this.buf.readUInt8(this.pos++ - this.start);
  }
  async u32(): Promise<number> {
    await this.need(4);
    const v = this.buf.readUInt32LE(this.pos - this.start);
    this.pos += 4;
    return v;
  }
  async u64(): Promise<bigint> {
    await this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos - this.start);
    this.pos += 8;
    return v;
  }
  /** A u64 that must fit a JS number and stay below `max` (guards against garbage lengths). */
  async count(what: string, max: number): Promise<number> {
    const v = await this.u64();
    if (v > BigInt(max)) throw new GgufFormatError(`${what} ${v} is implausible (limit ${max})`);
    return Number(v);
  }
  async str(): Promise<string> {
    const n = await this.count('string length', 1 << 24);
    await this.need(n);
    const s = this.buf.toString('utf8', this.pos - this.start, this.pos - this.start + n);
    this.pos += n;
    return s;
  }
  async scalar(type: number): Promise<GgufScalar> {
    const p = () => this.pos - this.start;
    const take = async <T>(n: number, f: () => T): Promise<T> => {
      await this.need(n);
      const v = f();
      this.pos += n;
      return v;
    };
    switch (type) {
      case GgufValueType.UINT8:
        return take(1, () => this.buf.readUInt8(p()));
      case GgufValueType.INT8:
        return take(1, () => this.buf.readInt8(p()));
      case GgufValueType.UINT16:
        return take(2, () => this.buf.readUInt16LE(p()));
      case GgufValueType.INT16:
        return take(2, () => this.buf.readInt16LE(p()));
      case GgufValueType.UINT32:
        return take(4, () => this.buf.readUInt32LE(p()));
      case GgufValueType.INT32:
        return take(4, () => this.buf.readInt32LE(p()));
      case GgufValueType.FLOAT32:
        return take(4, () => this.buf.readFloatLE(p()));
      case GgufValueType.BOOL:
        return take(1, () => this.buf.readUInt8(p()) !== 0);
      case GgufValueType.STRING:
        return this.str();
      case GgufValueType.UINT64:
        return take(8, () => this.buf.readBigUInt64LE(p()));
      case GgufValueType.INT64:
        return take(8, () => this.buf.readBigInt64LE(p()));
      case GgufValueType.FLOAT64:
        return take(8, () => this.buf.readDoubleLE(p()));
      default:
        throw new GgufFormatError(`unknown metadata value type ${type} at offset ${this.pos}`);
    }
  }
}

/**
 * Parses a GGUF file's header (metadata and tensor table) without touching tensor data.
 * Throws {@link GgufFormatError} on anything malformed: wrong magic, unsupported version,
 * truncation, tensors pointing past the end of the file.
 *
 * @example
 *   const h = await readGgufHeader('model.gguf');
 *   h.metadata.get('general.architecture'); // 'qwen3vl'
 */
export async function readGgufHeader(path: string): Promise<GgufHeader> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const cur = new Cursor(async (position, length) => {
      const b = Buffer.alloc(length);
      const { bytesRead } = await file.read(b, 0, length, position);
      return b.subarray(0, bytesRead);
    }, size);
    if (size < 24) throw new GgufFormatError(`file is only ${size} bytes; a GGUF header needs at least 24`);
    const magic = await cur.u32();
    if (magic !== GGUF_MAGIC) {
      throw new GgufFormatError(
        `not a GGUF file (first bytes 0x${magic.toString(16).padStart(8, '0')}, want "GGUF")`,
      );
    }
    const version = await cur.u32();
    if (version !== 2 && version !== 3)
      throw new GgufFormatError(`unsupported GGUF version ${version} (want 3)`);
    const nTensors = await cur.count('tensor count', 1 << 20);
    const nKv = await cur.count('metadata count', 1 << 20);
    const metadata = new Map<string, GgufMetaValue>();
    for (let i = 0; i < nKv; i++) {
      const key = await cur.str();
      const type = await cur.u32();
      if (type === GgufValueType.ARRAY) {
        const elemType = await cur.u32();
        const n = await cur.count(`length of array ${key}`, 1 << 24);
        const values: GgufScalar[] = [];
        for (let j = 0; j < n; j++) values.push(await cur.scalar(elemType));
        metadata.set(key, values);
      } else {
        metadata.set(key, await cur.scalar(type));
      }
    }
    const tensors: GgufTensorInfo[] = [];
    for (let i = 0; i < nTensors; i++) {
      const name = await cur.str();
      const nDims = await cur.u32();
      if (nDims < 1 || nDims > 4)
        throw new GgufFormatError(`tensor ${name} has ${nDims} dimensions (1-4 allowed)`);
      const shape: number[] = [];
      for (let d = 0; d < nDims; d++) shape.push(await cur.count(`dimension of ${name}`, 2 ** 40));
      const type = await cur.u32();
      const offset = await cur.count(`offset of ${name}`, 2 ** 50);
      tensors.push({ name, shape, type, offset });
    }
    const alignment = Number(metadata.get('general.alignment') ?? GGUF_DEFAULT_ALIGNMENT);
    const dataOffset = Math.ceil(cur.pos / alignment) * alignment;
    for (const t of tensors) {
      if (dataOffset + t.offset > size) {
        throw new GgufFormatError(`tensor ${t.name} starts past the end of the file (truncated download?)`);
      }
    }
    return { version, metadata, tensors, dataOffset };
  } finally {
    await file.close();
  }
}
