import { readFields } from './protobuf.js';
import {
  attributeFloat,
  attributeInts,
  deleteWeight,
  floatAttribute,
  type OnnxModel,
  type OnnxNode,
} from './onnx-graph.js';

/**
 * Exact graph rewrites for the PP-OCRv4 models (PP-LCNetV3 backbones). Their export runs every convolution
 * through eight element-wise passes: a learnable affine (Mul, Add by scalars), hard-swish spelt out as
 * Add 3 → Clip 0..6 → Mul → Div 6, and a second learnable affine. onnxruntime fuses none of them, and each
 * pass also forces its blocked-layout convolutions to convert their output back and forth. The profile
 * (bench/lib/ocr-profile.ts) put those passes at about 40 % of the recogniser's time.
 *
 * - An affine after a convolution goes into its weights and bias: conv(x)·s + a.
 * - Hard-swish becomes x · HardSigmoid(x) with α = 1/6, β = 1/2 (the same function; HardSigmoid exists
 *   since opset 6, HardSwish only since 14 and these models are opset 9 and 11).
 * - An affine before a convolution goes into it: into weights and bias when the convolution has no padding
 *   (bias += a·Σw); with padding only the scale, leaving one per-channel offset (padding must stay zero in
 *   the same place), written as a BatchNormalization that onnxruntime keeps in its blocked layout.
 *
 * Every rewrite is the same arithmetic up to float rounding; recognize.test.ts checks the rewritten
 * recogniser reads as the original.
 */

export interface FoldCounts {
  affineIntoConv: number;
  hardSwish: number;
  affineBeforeConv: number;
}

/** Rewrites `model` in place and counts what it changed. */
export function foldGraph(model: OnnxModel): FoldCounts {
  return {
    affineIntoConv: foldAffineAfterConv(model),
    hardSwish: fuseHardSwish(model),
    affineBeforeConv: foldAffineBeforeConv(model),
  };
}

function consumers(model: OnnxModel): Map<string, OnnxNode[]> {
  const map = new Map<string, OnnxNode[]>();
  for (const node of model.nodes)
    for (const input of node.inputs) map.set(input, [...(map.get(input) ?? []), node]);
  return map;
}

function producers(model: OnnxModel): Map<string, OnnxNode> {
  const map = new Map<string, OnnxNode>();
  for (const node of model.nodes) for (const output of node.outputs) map.set(output, node);
  return map;
}

/** Names the graph hands out (GraphProto.output): such values must keep their name and meaning. */
function graphOutputs(model: OnnxModel): Set<string> {
  const decoder = new TextDecoder();
  const names = new Set<string>();
  for (const f of model.graphFields) {
    if (f.no !== 12) continue;
    const name = readFields(f.payload).find((v) => v.no === 1); // ValueInfoProto.name
    if (name) names.add(decoder.decode(name.payload));
  }
  return names;
}

/** The scalar operand of a binary node whose other operand is `value`, if it is a one-element weight. */
function scalarOperand(model: OnnxModel, node: OnnxNode, value: string): number | undefined {
  if (node.inputs.length !== 2) return undefined;
  const other = node.inputs[0] === value ? node.inputs[1]! : node.inputs[0]!;
  if (other === value) return undefined;
  const w = model.weights.get(other);
  return w && w.data.length === 1 ? w.data[0] : undefined;
}

/** A fresh weight name derived from `base`. */
function freshName(model: OnnxModel, base: string): string {
  let name = base;
  for (let k = 1; model.weights.has(name); k++) name = `${base}_${k}`;
  return name;
}

/** Gives a convolution its own copies of weight and bias (zeros when it had none) to edit. */
function ownConvWeights(
  model: OnnxModel,
  conv: OnnxNode,
): { w: Float32Array; b: Float32Array; perOut: number } {
  const weight = model.weights.get(conv.inputs[1]!)!;
  const outChannels = weight.dims[0]!;
  const w = Float32Array.from(weight.data);
  const bias = conv.inputs[2] ? model.weights.get(conv.inputs[2]) : undefined;
  const b = bias ? Float32Array.from(bias.data) : new Float32Array(outChannels);
  const wName = freshName(model, `${conv.name || conv.outputs[0]!}.folded_w`);
  model.weights.set(wName, { dims: weight.dims, data: w });
  const bName = freshName(model, `${conv.name || conv.outputs[0]!}.folded_b`);
  model.weights.set(bName, { dims: [outChannels], data: b });
  conv.inputs = [conv.inputs[0]!, wName, bName];
  return { w, b, perOut: w.length / outChannels };
}

function isFoldableConv(model: OnnxModel, node: OnnxNode): boolean {
  return (
    node.opType === 'Conv' &&
    node.domain === '' &&
    model.weights.has(node.inputs[1]!) &&
    (node.inputs[2] === undefined || node.inputs[2] === '' || model.weights.has(node.inputs[2]))
  );
}

function removeNodes(model: OnnxModel, gone: Set<OnnxNode>): void {
  model.nodes = model.nodes.filter((n) => !gone.has(n));
}

/** Drops weights no node reads any more. */
function pruneWeights(model: OnnxModel): void {
  const used = new Set(model.nodes.flatMap((n) => n.inputs));
  for (const name of [...model.weights.keys()]) if (!used.has(name)) deleteWeight(model, name);
}

/** Conv → Mul(s) / Add(a) by scalars → the conv alone, with s and a in its weights and bias. */
function foldAffineAfterConv(model: OnnxModel): number {
  const users = consumers(model);
  const outputs = graphOutputs(model);
  const gone = new Set<OnnxNode>();
  let folded = 0;
  for (const conv of model.nodes) {
    if (!isFoldableConv(model, conv)) continue;
    let owned: ReturnType<typeof ownConvWeights> | undefined;
    for (;;) {
      const out = conv.outputs[0]!;
      const next = users.get(out);
      if (outputs.has(out) || next?.length !== 1) break;
      const op = next[0]!;
      if ((op.opType !== 'Mul' && op.opType !== 'Add') || op.domain !== '') break;
      const k = scalarOperand(model, op, out);
      if (k === undefined) break;
      owned ??= ownConvWeights(model, conv);
      if (op.opType === 'Mul') {
        for (let i = 0; i < owned.w.length; i++) owned.w[i]! *= k;
        for (let i = 0; i < owned.b.length; i++) owned.b[i]! *= k;
      } else {
        for (let i = 0; i < owned.b.length; i++) owned.b[i]! += k;
      }
      conv.outputs[0] = op.outputs[0]!;
      users.set(conv.outputs[0], users.get(op.outputs[0]!) ?? []);
      gone.add(op);
      folded++;
    }
  }
  removeNodes(model, gone);
  pruneWeights(model);
  return folded;
}

/** Clip's bounds: attributes before opset 11, optional weight inputs from 11 on. */
function clipBounds(model: OnnxModel, clip: OnnxNode): [number, number] | undefined {
  const lo = clip.inputs[1] ? model.weights.get(clip.inputs[1])?.data[0] : attributeFloat(clip, 'min');
  const hi = clip.inputs[2] ? model.weights.get(clip.inputs[2])?.data[0] : attributeFloat(clip, 'max');
  return lo === undefined || hi === undefined ? undefined : [lo, hi];
}

/** x · Clip(x + 3, 0, 6) / 6 → x · HardSigmoid(x). */
function fuseHardSwish(model: OnnxModel): number {
  const users = consumers(model);
  const made = producers(model);
  const outputs = graphOutputs(model);
  const only = (value: string, node: OnnxNode) =>
    !outputs.has(value) && users.get(value)?.length === 1 && users.get(value)![0] === node;
  const gone = new Set<OnnxNode>();
  let fused = 0;
  for (const div of model.nodes) {
    if (div.opType !== 'Div' || div.domain !== '' || div.inputs.length !== 2) continue;
    const six = model.weights.get(div.inputs[1]!);
    if (six?.data.length !== 1 || six.data[0] !== 6) continue;
    const mul = made.get(div.inputs[0]!);
    if (mul?.opType !== 'Mul' || !only(div.inputs[0]!, div)) continue;
    const clipAt = mul.inputs.findIndex((i) => made.get(i)?.opType === 'Clip');
    if (clipAt < 0) continue;
    const clip = made.get(mul.inputs[clipAt]!)!;
    const x = mul.inputs[1 - clipAt]!;
    const bounds = clipBounds(model, clip);
    if (!bounds || bounds[0] !== 0 || bounds[1] !== 6 || !only(clip.outputs[0]!, mul)) continue;
    const add = made.get(clip.inputs[0]!);
    if (add?.opType !== 'Add' || !only(add.outputs[0]!, clip) || !add.inputs.includes(x)) continue;
    if (scalarOperand(model, add, x) !== 3) continue;
    // Reuse the four nodes' places: Add becomes HardSigmoid, Div becomes the Mul.
    const hs = `${div.outputs[0]!}.hardsigmoid`;
    add.opType = 'HardSigmoid';
    add.inputs = [x];
    add.outputs = [hs];
    add.attributes = new Map([
      ['alpha', floatAttribute('alpha', 1 / 6)],
      ['beta', floatAttribute('beta', 0.5)],
    ]);
    div.opType = 'Mul';
    div.inputs = [x, hs];
    gone.add(clip);
    gone.add(mul);
    fused++;
  }
  removeNodes(model, gone);
  pruneWeights(model);
  return fused;
}

/** Mul(s) / Add(a) by scalars → Conv: scale (and, without padding, offset) go into the conv's weights. */
function foldAffineBeforeConv(model: OnnxModel): number {
  const users = consumers(model);
  const made = producers(model);
  const outputs = graphOutputs(model);
  const gone = new Set<OnnxNode>();
  let folded = 0;
  for (const conv of model.nodes) {
    if (!isFoldableConv(model, conv)) continue;
    // Walk back over single-use scalar Mul/Add nodes; z = scale·h + offset.
    const chain: OnnxNode[] = [];
    let value = conv.inputs[0]!;
    for (;;) {
      const op = made.get(value);
      if (!op || (op.opType !== 'Mul' && op.opType !== 'Add') || op.domain !== '') break;
      if (outputs.has(value) || users.get(value)?.length !== 1) break;
      const h = op.inputs.find((i) => !model.weights.has(i));
      if (h === undefined || scalarOperand(model, op, h) === undefined) break;
      chain.unshift(op);
      value = h;
    }
    if (chain.length === 0) continue;
    let scale = 1;
    let offset = 0;
    for (const op of chain) {
      const k = scalarOperand(
        model,
        op,
        op.inputs.find((i) => !model.weights.has(i))!,
      )!;
      if (op.opType === 'Mul') {
        scale *= k;
        offset *= k;
      } else offset += k;
    }
    if (scale === 0) continue;
    const padded =
      (attributeInts(conv, 'pads') ?? []).some((p) => p !== 0) || conv.attributes.has('auto_pad');
    const owned = ownConvWeights(model, conv);
    if (padded) {
      // conv(s·h + a) = conv_{s·w}(h + a/s), and zero padding of (h + a/s) is zero padding of s·h + a.
      // The remaining offset is written as a BatchNormalization (scale 1, bias a/s), not an Add: onnxruntime
      // runs that as a blocked-layout 1×1 conv, so the tensor need not leave the blocked layout between the
      // two convolutions (rec: 39 → 14 layout conversions per run, ~4 % less time than with an Add).
      for (let i = 0; i < owned.w.length; i++) owned.w[i]! *= scale;
      const last = chain.at(-1)!;
      const name = freshName(model, `${last.outputs[0]!}.offset`);
      const channels =
        model.weights.get(conv.inputs[1]!)!.dims[1]! * (attributeInts(conv, 'group')?.[0] ?? 1);
      const perChannel = (v: number) => ({ dims: [channels], data: new Float32Array(channels).fill(v) });
      model.weights.set(`${name}.scale`, perChannel(1));
      model.weights.set(`${name}.bias`, perChannel(offset / scale));
      model.weights.set(`${name}.mean`, perChannel(0));
      model.weights.set(`${name}.var`, perChannel(1));
      last.opType = 'BatchNormalization';
      last.inputs = [value, `${name}.scale`, `${name}.bias`, `${name}.mean`, `${name}.var`];
      last.attributes = new Map([['epsilon', floatAttribute('epsilon', 0)]]);
      chain.slice(0, -1).forEach((n) => gone.add(n));
      if (offset === 0) {
        conv.inputs[0] = value;
        gone.add(last);
      }
    } else {
      // conv(s·h + a) = conv_{s·w}(h) + a·Σw per output channel.
      for (let o = 0; o < owned.b.length; o++) {
        let sum = 0;
        for (let i = o * owned.perOut; i < (o + 1) * owned.perOut; i++) sum += owned.w[i]!;
        owned.b[o]! += offset * sum;
      }
      for (let i = 0; i < owned.w.length; i++) owned.w[i]! *= scale;
      conv.inputs[0] = value;
      chain.forEach((n) => gone.add(n));
    }
    folded += chain.length;
  }
  removeNodes(model, gone);
  pruneWeights(model);
  return folded;
}
