/**
 * The constants of the GGUF v3 file format (llama.cpp's model container), shared by the writer
 * and the reader. Numbers are the on-disk codes; they never change within a format version.
 */

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Metadata value types. */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
export type GgufValueType = (typeof GgufValueType)[keyof typeof GgufValueType];

/** The tensor types this project writes or checks (ggml's `enum ggml_type`). */
export const GgmlType = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 } as const;
export type GgmlType = (typeof GgmlType)[keyof typeof GgmlType];

/** Elements per block and bytes per block, for every type in {@link GgmlType}. */
const LAYOUT: Record<GgmlType, { blockElems: number; blockBytes: number }> = {
  [GgmlType.F32]: { blockElems: 1, blockBytes: 4 },
  [GgmlType.F16]: { blockElems: 1, blockBytes: 2 },
  [GgmlType.Q4_0]: { blockElems: 32, blockBytes: 18 }, // f16 scale + 32 4-bit values
  [GgmlType.Q8_0]: { blockElems: 32, blockBytes: 34 }, // f16 scale + 32 int8 values
};

export function ggmlTypeName(type: number): string {
  const entry = Object.entries(GgmlType).find(([, code]) => code === type);
  return entry ? entry[0] : `type#${type}`;
}

export function blockLayout(type: GgmlType): { blockElems: number; blockBytes: number } {
  return LAYOUT[type];
}

/** Bytes a tensor of `shape` (ggml order, ne0 first) takes in `type`; ne0 must fill whole blocks. */
export function tensorBytes(type: GgmlType, shape: readonly number[]): number {
  const { blockElems, blockBytes } = LAYOUT[type];
  const ne0 = shape[0] ?? 1;
  if (ne0 % blockElems !== 0) {
    throw new Error(`ne0=${ne0} is not a multiple of ${blockElems}, the block size of ${ggmlTypeName(type)}`);
  }
  const elems = shape.reduce((a, b) => a * b, 1);
  return (elems / blockElems) * blockBytes;
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}
