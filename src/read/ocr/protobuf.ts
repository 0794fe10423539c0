/**
 * The protobuf wire format, just enough to read and rewrite ONNX files: split a message into its fields
 * (each keeping its encoded bytes, so untouched fields are written back byte for byte) and encode new ones.
 * No schema: callers know the field numbers of the messages they open.
 */

/** Wire types: varint, 64-bit, length-delimited, 32-bit (groups, 3 and 4, are not used by ONNX). */
export type WireType = 0 | 1 | 2 | 5;

export interface ProtoField {
  /** Field number. */
  no: number;
  wire: WireType;
  /** Varints as numbers (exact up to 2^53; larger ones are only ever copied, via `bytes`). */
  int: number;
  /** Payload of a length-delimited field, or the 4/8 raw bytes of a fixed-width one. */
  payload: Uint8Array;
  /** The whole field as encoded: tag, length and payload. */
  bytes: Uint8Array;
}

function readVarint(buf: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = at; i < buf.length; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) return [value, i + 1];
  }
  throw new Error('protobuf: varint runs past the end of the message');
}

/** Splits one message into its fields, in file order. */
export function readFields(buf: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let at = 0;
  while (at < buf.length) {
    const start = at;
    const [tag, afterTag] = readVarint(buf, at);
    const no = Math.floor(tag / 8);
    const wire = tag % 8;
    let payload: Uint8Array;
    let int = 0;
    if (wire === 0) {
      [int, at] = readVarint(buf, afterTag);
      payload = buf.subarray(afterTag, at);
    } else if (wire === 1 || wire === 5) {
      at = afterTag + (wire === 1 ? 8 : 4);
      payload = buf.subarray(afterTag, at);
    } else if (wire === 2) {
      const [length, afterLength] = readVarint(buf, afterTag);
      at = afterLength + length;
      payload = buf.subarray(afterLength, at);
    } else {
      throw new Error(`protobuf: unsupported wire type ${wire} (field ${no})`);
    }
    if (at > buf.length) throw new Error(`protobuf: field ${no} runs past the end of the message`);
    fields.push({ no, wire: wire as WireType, int, payload, bytes: buf.subarray(start, at) });
  }
  return fields;
}

/** Unpacks a packed repeated varint field (or returns the single value of an unpacked one). */
export function readPackedVarints(field: ProtoField): number[] {
  if (field.wire === 0) return [field.int];
  const out: number[] = [];
  for (let at = 0; at < field.payload.length;) {
    const [v, next] = readVarint(field.payload, at);
    out.push(v);
    at = next;
  }
  return out;
}

function varintBytes(value: number): number[] {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`protobuf: cannot encode varint ${value}`);
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** Encodes a varint field (non-negative integers only). */
export function varintField(no: number, value: number): Uint8Array {
  return Uint8Array.from([...varintBytes(no * 8), ...varintBytes(value)]);
}

/** Encodes a length-delimited field: bytes, a UTF-8 string or an embedded message. */
export function bytesField(no: number, payload: Uint8Array | string): Uint8Array {
  const body = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  return concatBytes([Uint8Array.from([...varintBytes(no * 8 + 2), ...varintBytes(body.length)]), body]);
}

/** Encodes a 32-bit float field. */
export function floatField(no: number, value: number): Uint8Array {
  const out = new Uint8Array(varintBytes(no * 8 + 5).length + 4);
  const tag = varintBytes(no * 8 + 5);
  out.set(tag);
  new DataView(out.buffer).setFloat32(tag.length, value, true);
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
