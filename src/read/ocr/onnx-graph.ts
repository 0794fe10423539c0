import {
  bytesField,
  concatBytes,
  floatField,
  readFields,
  readPackedVarints,
  varintField,
  type ProtoField,
} from './protobuf.js';

/**
 * An ONNX model opened for graph rewrites: its nodes, and its float weights (initializers and the values of
 * Constant nodes, which the PaddleOCR exports use for every weight) as Float32Arrays. Everything else in the
 * file (opsets, graph inputs and outputs, other initializers) is carried through as encoded.
 * Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto).
 */

export interface OnnxNode {
  opType: string;
  name: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** Encoded AttributeProto messages by attribute name (see `attributeField`). */
  attributes: Map<string, Uint8Array>;
}

export interface FloatTensor {
  dims: number[];
  data: Float32Array;
}

export interface OnnxModel {
  nodes: OnnxNode[];
  /** Float weights by name; written back as initializers. */
  weights: Map<string, FloatTensor>;
  /** ModelProto fields other than the graph, as encoded. */
  modelFields: ProtoField[];
  /** GraphProto fields other than nodes and float initializers, as encoded. */
  graphFields: ProtoField[];
}

const TENSOR_FLOAT = 1;
const decoder = new TextDecoder();

function decodeFloatTensor(buf: Uint8Array): (FloatTensor & { name: string }) | undefined {
  let name = '';
  let type = 0;
  const dims: number[] = [];
  let raw: Uint8Array | undefined;
  const floats: number[] = [];
  for (const f of readFields(buf)) {
    if (f.no === 1) dims.push(...readPackedVarints(f));
    else if (f.no === 2) type = f.int;
    else if (f.no === 8) name = decoder.decode(f.payload);
    else if (f.no === 9) raw = f.payload;
    else if (f.no === 4) {
      const p = f.payload;
      const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
      for (let i = 0; i + 4 <= p.byteLength; i += 4) floats.push(view.getFloat32(i, true));
    } else if (f.no === 13 || f.no === 3) return undefined; // external or segmented data: leave it alone
  }
  if (type !== TENSOR_FLOAT) return undefined;
  // Copy: raw_data is rarely 4-byte aligned inside the file.
  const data = raw ? new Float32Array(new Uint8Array(raw).buffer) : Float32Array.from(floats);
  return { name, dims, data };
}

function encodeFloatTensor(name: string, t: FloatTensor): Uint8Array {
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return concatBytes([
    ...t.dims.map((d) => varintField(1, d)),
    varintField(2, TENSOR_FLOAT),
    bytesField(8, name),
    bytesField(9, raw),
  ]);
}

function decodeNode(buf: Uint8Array): OnnxNode {
  const node: OnnxNode = { opType: '', name: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  for (const f of readFields(buf)) {
    if (f.no === 1) node.inputs.push(decoder.decode(f.payload));
    else if (f.no === 2) node.outputs.push(decoder.decode(f.payload));
    else if (f.no === 3) node.name = decoder.decode(f.payload);
    else if (f.no === 4) node.opType = decoder.decode(f.payload);
    else if (f.no === 7) node.domain = decoder.decode(f.payload);
    else if (f.no === 5) {
      const attrName = readFields(f.payload).find((a) => a.no === 1);
      node.attributes.set(attrName ? decoder.decode(attrName.payload) : '', f.payload);
    }
  }
  return node;
}

function encodeNode(node: OnnxNode): Uint8Array {
  return concatBytes([
    ...node.inputs.map((i) => bytesField(1, i)),
    ...node.outputs.map((o) => bytesField(2, o)),
    bytesField(3, node.name),
    bytesField(4, node.opType),
    ...(node.domain ? [bytesField(7, node.domain)] : []),
    ...[...node.attributes.values()].map((a) => bytesField(5, a)),
  ]);
}

/** Reads an ONNX file; float Constant nodes become weights. */
export function parseOnnx(file: Uint8Array): OnnxModel {
  const modelFields: ProtoField[] = [];
  const graphFields: ProtoField[] = [];
  const nodes: OnnxNode[] = [];
  const weights = new Map<string, FloatTensor>();
  for (const f of readFields(file)) {
    if (f.no !== 7) {
      modelFields.push(f);
      continue;
    }
    for (const g of readFields(f.payload)) {
      if (g.no === 1) {
        const node = decodeNode(g.payload);
        const value = node.opType === 'Constant' && node.attributes.get('value');
        const tensorField = value ? readFields(value).find((a) => a.no === 5) : undefined;
        const tensor = tensorField && decodeFloatTensor(tensorField.payload);
        if (tensor && node.outputs.length === 1) weights.set(node.outputs[0]!, tensor);
        else nodes.push(node);
      } else if (g.no === 5) {
        const tensor = decodeFloatTensor(g.payload);
        if (tensor) weights.set(tensor.name, tensor);
        else graphFields.push(g);
      } else {
        graphFields.push(g);
      }
    }
  }
  return { nodes, weights, modelFields, graphFields };
}

/** Writes the model back; weights no node uses any more are left out. */
export function serializeOnnx(model: OnnxModel): Uint8Array {
  const used = new Set(model.nodes.flatMap((n) => n.inputs));
  // Graph outputs (field 12) may name a weight directly.
  for (const f of model.graphFields) if (f.no === 12) used.add(valueInfoName(f));
  const graph = concatBytes([
    ...model.nodes.map((n) => bytesField(1, encodeNode(n))),
    ...[...model.weights]
      .filter(([name]) => used.has(name))
      .map(([name, t]) => bytesField(5, encodeFloatTensor(name, t))),
    // Old exports list weights among the graph inputs (field 11): drop those whose weight is gone.
    ...model.graphFields
      .filter((f) => f.no !== 11 || !wasWeight(model, valueInfoName(f)))
      .map((f) => f.bytes),
  ]);
  return concatBytes([...model.modelFields.map((f) => f.bytes), bytesField(7, graph)]);
}

/** Names of weights removed by a rewrite; kept so `serializeOnnx` can drop their graph inputs too. */
const removedWeights = new WeakMap<OnnxModel, Set<string>>();

/** Removes a weight (after a rewrite folded it into another one). */
export function deleteWeight(model: OnnxModel, name: string): void {
  model.weights.delete(name);
  const set = removedWeights.get(model) ?? new Set<string>();
  set.add(name);
  removedWeights.set(model, set);
}

function wasWeight(model: OnnxModel, name: string): boolean {
  return removedWeights.get(model)?.has(name) ?? false;
}

function valueInfoName(f: ProtoField): string {
  const name = readFields(f.payload).find((v) => v.no === 1);
  return name ? decoder.decode(name.payload) : '';
}

/** An attribute's decoded value: INT (i), INTS (ints), FLOAT (f); undefined when absent. */
export function attributeInts(node: OnnxNode, name: string): number[] | undefined {
  const attr = node.attributes.get(name);
  if (!attr) return undefined;
  const out: number[] = [];
  for (const f of readFields(attr)) if (f.no === 3 || f.no === 8) out.push(...readPackedVarints(f));
  return out;
}

export function attributeFloat(node: OnnxNode, name: string): number | undefined {
  const attr = node.attributes.get(name);
  const f = attr && readFields(attr).find((a) => a.no === 2);
  return f ? new DataView(f.payload.buffer, f.payload.byteOffset, 4).getFloat32(0, true) : undefined;
}

/** Encodes a FLOAT attribute (AttributeProto type 1). */
export function floatAttribute(name: string, value: number): Uint8Array {
  return concatBytes([bytesField(1, name), floatField(2, value), varintField(20, 1)]);
}

/** TensorProto data types used by the rewrites (onnx.proto `TensorProto.DataType`). */
export const TensorType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;

/**
 * Adds a non-float initializer (integer weights, zero points, index lists), kept among the encoded graph
 * fields: `weights` holds floats only. `raw` is little-endian, as TensorProto.raw_data requires.
 */
export function addRawInitializer(
  model: OnnxModel,
  name: string,
  dataType: number,
  dims: readonly number[],
  raw: Uint8Array,
): void {
  const payload = concatBytes([
    ...dims.map((d) => varintField(1, d)),
    varintField(2, dataType),
    bytesField(8, name),
    bytesField(9, raw),
  ]);
  const bytes = bytesField(5, payload);
  model.graphFields.push({ no: 5, wire: 2, int: 0, payload, bytes });
}

/** Adds an INT64 initializer (Slice starts/ends/axes, Squeeze axes from opset 10/13 on). */
export function addInt64Initializer(model: OnnxModel, name: string, values: readonly number[]): void {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  addRawInitializer(model, name, TensorType.INT64, [values.length], raw);
}

/** Encodes an INT attribute (AttributeProto type 2). */
export function intAttribute(name: string, value: number): Uint8Array {
  return concatBytes([bytesField(1, name), varintField(3, value), varintField(20, 2)]);
}

/** The version of the default (ai.onnx) operator set the model imports. */
export function defaultOpset(model: OnnxModel): number {
  for (const f of model.modelFields) {
    if (f.no !== 8) continue;
    const fields = readFields(f.payload);
    const domain = fields.find((x) => x.no === 1);
    if (!domain || domain.payload.length === 0) return fields.find((x) => x.no === 2)?.int ?? 0;
  }
  return 0;
}

/** Sets the default operator set's version and raises the IR version to at least `irVersion`. */
export function setDefaultOpset(model: OnnxModel, version: number, irVersion: number): void {
  model.modelFields = model.modelFields.map((f) => {
    if (f.no === 1 && f.int < irVersion) {
      const bytes = varintField(1, irVersion);
      return { ...f, int: irVersion, payload: bytes.subarray(1), bytes };
    }
    if (f.no !== 8) return f;
    const domain = readFields(f.payload).find((x) => x.no === 1);
    if (domain && domain.payload.length > 0) return f;
    const payload = concatBytes([bytesField(1, ''), varintField(2, version)]);
    return { no: 8, wire: 2, int: 0, payload, bytes: bytesField(8, payload) };
  });
}

/** Lists `name` among the graph's outputs as a float tensor of unknown shape (to read it during calibration). */
export function addFloatGraphOutput(model: OnnxModel, name: string): void {
  // ValueInfoProto { name, type: TypeProto { tensor_type: { elem_type: FLOAT } } }
  const payload = concatBytes([
    bytesField(1, name),
    bytesField(2, bytesField(1, varintField(1, TensorType.FLOAT))),
  ]);
  model.graphFields.push({ no: 12, wire: 2, int: 0, payload, bytes: bytesField(12, payload) });
}
