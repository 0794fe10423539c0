import { describe, expect, it } from 'vitest';
import {
  bytesField,
  concatBytes,
  floatField,
  readFields,
  readPackedVarints,
  varintField,
} from './protobuf.js';

describe('protobuf wire format', () => {
  it('reads back the fields it encodes, each with its own encoded bytes', () => {
    const inner = concatBytes([varintField(1, 7), bytesField(2, 'conv')]);
    const message = concatBytes([
      varintField(1, 300),
      bytesField(4, 'héllo'),
      floatField(2, 0.5),
      bytesField(7, inner),
    ]);
    const fields = readFields(message);
    expect(fields.map((f) => [f.no, f.wire])).toEqual([
      [1, 0],
      [4, 2],
      [2, 5],
      [7, 2],
    ]);
    expect(fields[0]!.int).toBe(300);
    expect(new TextDecoder().decode(fields[1]!.payload)).toBe('héllo');
    expect(
      new DataView(fields[2]!.payload.buffer, fields[2]!.payload.byteOffset, 4).getFloat32(0, true),
    ).toBe(0.5);
    expect(readFields(fields[3]!.payload).map((f) => f.no)).toEqual([1, 2]);
    // Copying every field's bytes rebuilds the message exactly.
    expect(concatBytes(fields.map((f) => f.bytes))).toEqual(message);
  });

  it('handles varints beyond 32 bits and packed repeated varints', () => {
    const big = 2 ** 40 + 5;
    expect(readFields(varintField(3, big))[0]!.int).toBe(big);
    const packed = bytesField(8, Uint8Array.from([1, 0x96, 0x01, 3])); // 1, 150, 3
    expect(readPackedVarints(readFields(packed)[0]!)).toEqual([1, 150, 3]);
  });

  it('refuses a message cut short', () => {
    const message = bytesField(2, 'abcdef');
    expect(() => readFields(message.subarray(0, 4))).toThrow(/past the end/);
  });
});
