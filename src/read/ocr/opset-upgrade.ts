import {
  addInt64Initializer,
  attributeInts,
  defaultOpset,
  setDefaultOpset,
  type OnnxModel,
} from './onnx-graph.js';

/**
 * Moves a model from ai.onnx opset 9–12 to 13, the first opset whose QuantizeLinear/DequantizeLinear take
 * per-channel scales (`axis`), which int8 convolutions need (quantize-graph.ts). Only two of the operators in
 * the PP-OCR graphs changed form on the way, and both are rewritten:
 * - Slice (10): starts, ends and axes move from attributes to INT64 inputs;
 * - Squeeze (13): axes moves from an attribute to an INT64 input.
 * Every other operator they use is either unchanged from 9 to 13 or changed only in the types it accepts
 * (bfloat16 added) — listed in `SAME_MEANING`. Softmax also changed at 13 (it no longer flattens the
 * dimensions after `axis`), which is the same function when `axis` is the last dimension, as in these graphs'
 * attention and output softmaxes (the opset test checks the upgraded recogniser's outputs equal the original's).
 * Any other operator makes the upgrade throw rather than guess.
 */

/** Operators whose behaviour is the same under opsets 9 to 13 for the attributes these graphs use. */
const SAME_MEANING = new Set([
  'Add',
  'AveragePool',
  'BatchNormalization',
  'Cast',
  'Concat',
  'Constant',
  'Conv',
  'ConvTranspose',
  'Div',
  'GlobalAveragePool',
  'HardSigmoid',
  'MatMul',
  'MaxPool',
  'Mul',
  'Pow',
  'ReduceMean',
  'Relu',
  'Reshape',
  'Shape',
  'Sigmoid',
  'Softmax',
  'Sqrt',
  'Sub',
  'Transpose',
]);

export const UPGRADED_OPSET = 13;

/** Index lists as decoded: negative varints come back as 2^64 − k and cannot be told apart exactly. */
function smallInts(values: number[], what: string): number[] {
  if (values.some((v) => v > Number.MAX_SAFE_INTEGER))
    throw new Error(`opset upgrade: ${what} holds a negative or huge index this rewrite cannot carry`);
  return values;
}

/** Rewrites `model` in place for opset 13; throws when it holds an operator not known to keep its meaning. */
export function upgradeToOpset13(model: OnnxModel): void {
  const from = defaultOpset(model);
  if (from >= UPGRADED_OPSET) return;
  if (from < 9) throw new Error(`opset upgrade: opset ${from} is older than the 9 this rewrite knows`);
  let made = 0;
  for (const node of model.nodes) {
    if (node.domain !== '')
      throw new Error(`opset upgrade: operator ${node.domain}.${node.opType} is not known`);
    if (node.opType === 'Slice' && from < 10) {
      const starts = attributeInts(node, 'starts');
      const ends = attributeInts(node, 'ends');
      if (!starts || !ends) throw new Error(`opset upgrade: Slice ${node.name} has no starts/ends`);
      const axes = attributeInts(node, 'axes') ?? starts.map((_, i) => i);
      const base = `${node.outputs[0]!}.opset13_${made++}`;
      addInt64Initializer(model, `${base}.starts`, smallInts(starts, 'Slice starts'));
      addInt64Initializer(model, `${base}.ends`, smallInts(ends, 'Slice ends'));
      addInt64Initializer(model, `${base}.axes`, smallInts(axes, 'Slice axes'));
      node.inputs = [node.inputs[0]!, `${base}.starts`, `${base}.ends`, `${base}.axes`];
      node.attributes = new Map();
    } else if (node.opType === 'Squeeze') {
      const axes = attributeInts(node, 'axes');
      node.attributes = new Map();
      if (axes) {
        const name = `${node.outputs[0]!}.opset13_${made++}.axes`;
        addInt64Initializer(model, name, smallInts(axes, 'Squeeze axes'));
        node.inputs = [node.inputs[0]!, name];
      }
    } else if (!SAME_MEANING.has(node.opType)) {
      throw new Error(`opset upgrade: ${node.opType} may change meaning between opset ${from} and 13`);
    }
  }
  // Opset 13 needs IR version 7 or later.
  setDefaultOpset(model, UPGRADED_OPSET, 7);
}
