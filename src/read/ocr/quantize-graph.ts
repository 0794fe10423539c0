import {
  addRawInitializer,
  attributeInts,
  deleteWeight,
  intAttribute,
  TensorType,
  type OnnxModel,
  type OnnxNode,
} from './onnx-graph.js';

/**
 * Static int8 quantisation of a model's convolutions, written as QuantizeLinear/DequantizeLinear (QDQ) pairs
 * in the form onnxruntime's CPU graph optimiser fuses into QLinearConv (u8 activations × s8 weights, int32
 * accumulation; VNNI dot products where the CPU has them):
 *
 *   x ─Q─DQ─┐
 *   W_s8 ─DQ(axis 0)─ Conv ─Q─DQ─ y        (bias: int32 at scale s_x·s_w, DQ axis 0)
 *   b_s32 ─DQ(axis 0)┘
 *
 * - Weights: symmetric, one scale per output channel (|w| ≤ 127·s), zero point 0 as QLinearConv's
 *   per-channel weights require.
 * - Activations (each convolution's input and output): one asymmetric u8 scale per tensor from the ranges
 *   calibrated on real inputs (calibrate.ts), widened to include 0 so that zero padding stays exact.
 * Needs opset 13 (per-channel DequantizeLinear): run opset-upgrade.ts first.
 */

export interface TensorRange {
  min: number;
  max: number;
}

interface ActivationParams {
  scale: number;
  zeroPoint: number;
}

/** Convolutions this rewrite can quantise: ai.onnx Conv over 2-D images with constant weights. */
export function quantizableConvs(model: OnnxModel): OnnxNode[] {
  return model.nodes.filter(
    (n) =>
      n.opType === 'Conv' &&
      n.domain === '' &&
      model.weights.get(n.inputs[1]!)?.dims.length === 4 &&
      (n.inputs[2] === undefined || n.inputs[2] === '' || model.weights.has(n.inputs[2])),
  );
}

/** The tensors whose ranges `quantizeConvs` needs for `convs`: each one's input and output. */
export function tensorsToCalibrate(convs: readonly OnnxNode[]): string[] {
  return [...new Set(convs.flatMap((c) => [c.inputs[0]!, c.outputs[0]!]))];
}

/** u8 scale and zero point covering `range` (and 0). */
export function activationParams(range: TensorRange): ActivationParams {
  const lo = Math.min(range.min, 0);
  const hi = Math.max(range.max, 0);
  const scale = Math.fround(hi > lo ? (hi - lo) / 255 : 1);
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return { scale, zeroPoint };
}

/** Per-output-channel symmetric int8 weights: the scales, and the quantised values. */
export function quantizeWeights(
  data: Float32Array,
  outChannels: number,
): { scales: Float32Array; q: Int8Array } {
  const per = data.length / outChannels;
  const scales = new Float32Array(outChannels);
  const q = new Int8Array(data.length);
  for (let o = 0; o < outChannels; o++) {
    let absMax = 0;
    for (let i = o * per; i < (o + 1) * per; i++) absMax = Math.max(absMax, Math.abs(data[i]!));
    // An all-zero channel still needs a positive scale.
    const s = Math.fround(absMax > 0 ? absMax / 127 : 1);
    scales[o] = s;
    for (let i = o * per; i < (o + 1) * per; i++)
      q[i] = Math.max(-127, Math.min(127, Math.round(data[i]! / s)));
  }
  return { scales, q };
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * Rewrites the convolutions `convs` of `model` (in place) into QDQ form with the activation `ranges`
 * (by tensor name; see `tensorsToCalibrate`). Returns how many convolutions it quantised.
 */
export function quantizeConvs(
  model: OnnxModel,
  convs: readonly OnnxNode[],
  ranges: ReadonlyMap<string, TensorRange>,
): number {
  const chosen = new Set(convs);
  const params = new Map<string, ActivationParams>();
  for (const name of tensorsToCalibrate(convs)) {
    const range = ranges.get(name);
    if (!range) throw new Error(`quantize: no calibrated range for ${name}`);
    params.set(name, activationParams(range));
  }
  const convOutputs = new Set(convs.map((c) => c.outputs[0]!));
  const quantized = (t: string) => `${t}.q`;

  // Scale and zero point of each quantised tensor, shared by its Q and DQ nodes.
  for (const [name, p] of params) {
    model.weights.set(`${name}.scale`, { dims: [], data: Float32Array.of(p.scale) });
    addRawInitializer(model, `${name}.zero_point`, TensorType.UINT8, [], Uint8Array.of(p.zeroPoint));
  }
  const qNode = (input: string, t: string): OnnxNode => ({
    opType: 'QuantizeLinear',
    name: `${t}.quantize`,
    domain: '',
    inputs: [input, `${t}.scale`, `${t}.zero_point`],
    outputs: [quantized(t)],
    attributes: new Map(),
  });
  const dqNode = (t: string, output: string): OnnxNode => ({
    opType: 'DequantizeLinear',
    name: `${output}.dequantize`,
    domain: '',
    inputs: [quantized(t), `${t}.scale`, `${t}.zero_point`],
    outputs: [output],
    attributes: new Map(),
  });

  const nodes: OnnxNode[] = [];
  // Tensors that no node makes (graph inputs) are quantised before anything runs.
  const made = new Set(model.nodes.flatMap((n) => n.outputs));
  for (const t of params.keys()) if (!made.has(t)) nodes.push(qNode(t, t));
  let count = 0;
  for (const node of model.nodes) {
    if (chosen.has(node)) {
      const x = node.inputs[0]!;
      const y = node.outputs[0]!;
      const sx = params.get(x)!.scale;
      const weight = model.weights.get(node.inputs[1]!)!;
      const outChannels = weight.dims[0]!;
      const { scales, q } = quantizeWeights(weight.data, outChannels);
      const base = node.name || y;
      addRawInitializer(model, `${base}.w_q`, TensorType.INT8, weight.dims, new Uint8Array(q.buffer));
      model.weights.set(`${base}.w_scale`, { dims: [outChannels], data: scales });
      addRawInitializer(
        model,
        `${base}.w_zero_point`,
        TensorType.INT8,
        [outChannels],
        new Uint8Array(outChannels),
      );
      const bias = node.inputs[2] ? model.weights.get(node.inputs[2]) : undefined;
      const bScales = scales.map((s) => Math.fround(sx * s));
      const bq = new Int32Array(outChannels);
      for (let o = 0; o < outChannels; o++) {
        const v = Math.round((bias?.data[o] ?? 0) / bScales[o]!);
        bq[o] = Math.max(-INT32_MAX, Math.min(INT32_MAX, v));
      }
      addRawInitializer(model, `${base}.b_q`, TensorType.INT32, [outChannels], new Uint8Array(bq.buffer));
      model.weights.set(`${base}.b_scale`, { dims: [outChannels], data: bScales });
      addRawInitializer(
        model,
        `${base}.b_zero_point`,
        TensorType.INT32,
        [outChannels],
        new Uint8Array(outChannels * 4),
      );
      const perChannel = (q: string, scale: string, zp: string, out: string): OnnxNode => ({
        opType: 'DequantizeLinear',
        name: `${out}.dequantize`,
        domain: '',
        inputs: [q, scale, zp],
        outputs: [out],
        attributes: new Map([['axis', intAttribute('axis', 0)]]),
      });
      nodes.push(
        dqNode(x, `${x}.dq.${base}`),
        perChannel(`${base}.w_q`, `${base}.w_scale`, `${base}.w_zero_point`, `${base}.w_dq`),
        perChannel(`${base}.b_q`, `${base}.b_scale`, `${base}.b_zero_point`, `${base}.b_dq`),
      );
      for (const w of node.inputs.slice(1)) if (w) deleteWeight(model, w);
      node.inputs = [`${x}.dq.${base}`, `${base}.w_dq`, `${base}.b_dq`];
      // The float result keeps its name for the float nodes after it, now read through Q → DQ.
      node.outputs = [`${y}.float`];
      nodes.push(node, qNode(`${y}.float`, y), dqNode(y, y));
      count++;
      continue;
    }
    nodes.push(node);
    for (const out of node.outputs) if (params.has(out) && !convOutputs.has(out)) nodes.push(qNode(out, out));
  }
  model.nodes = nodes;
  return count;
}

/** Fewest weights (out × in channels) a pointwise convolution needs to be worth quantising. */
export const MIN_INT8_WEIGHTS = 128 * 64;

/**
 * The convolutions worth running in int8: pointwise (1×1, one group) ones with at least `MIN_INT8_WEIGHTS`
 * weights that run on feature maps, not on the pooled vectors of squeeze-excite blocks. Measured on the
 * recogniser (1 thread, a 960-px strip, CPU ms per run; argmax changes over 476 output steps of 5 rendered
 * lines): float 49 ms; every conv in int8 40–44 ms, 33 changes; these only 31–34 ms, 8 changes. Depthwise and
 * early narrow convolutions do too little arithmetic per value to pay for their Q/DQ passes (and the early
 * ones, with activations up to ±50, lose most precision); squeeze-excite convolutions cost nothing in float.
 */
export function int8Convs(model: OnnxModel): OnnxNode[] {
  // Tensors computed from a GlobalAveragePool's output by convolutions and unary activations.
  const pooled = new Set<string>();
  const follows = new Set(['Conv', 'Relu', 'HardSigmoid', 'Sigmoid', 'BatchNormalization']);
  for (const n of model.nodes)
    if (n.opType === 'GlobalAveragePool' || (follows.has(n.opType) && pooled.has(n.inputs[0]!)))
      n.outputs.forEach((o) => pooled.add(o));
  return quantizableConvs(model).filter((conv) => {
    const { out, inPerGroup, kernel, group } = convShape(model, conv);
    return (
      group === 1 &&
      kernel.every((k) => k === 1) &&
      out * inPerGroup >= MIN_INT8_WEIGHTS &&
      !pooled.has(conv.inputs[0]!)
    );
  });
}

/** A convolution's shape, for choosing which ones to quantise. */
export function convShape(
  model: OnnxModel,
  conv: OnnxNode,
): { out: number; inPerGroup: number; kernel: number[]; group: number } {
  const dims = model.weights.get(conv.inputs[1]!)!.dims;
  return {
    out: dims[0]!,
    inPerGroup: dims[1]!,
    kernel: dims.slice(2),
    group: attributeInts(conv, 'group')?.[0] ?? 1,
  };
}
