import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultModelPaths } from './models.js';
import { attributeInts, parseOnnx, serializeOnnx } from './onnx-graph.js';

describe('parseOnnx / serializeOnnx', () => {
  const file = readFileSync(defaultModelPaths().classifier);

  it('opens the PaddleOCR export: nodes in order, Constant weights as float tensors', () => {
    const model = parseOnnx(file);
    const conv = model.nodes.find((n) => n.opType === 'Conv')!;
    expect(conv.inputs[0]).toBe('x');
    const weight = model.weights.get(conv.inputs[1]!)!;
    expect(weight.dims).toHaveLength(4);
    expect(weight.data.length).toBe(weight.dims.reduce((a, b) => a * b, 1));
    expect(attributeInts(conv, 'kernel_shape')).toEqual([3, 3]);
    expect(model.nodes.some((n) => n.opType === 'Constant' && model.weights.has(n.outputs[0]!))).toBe(false);
  });

  it('writes back a model that opens to the same nodes and weights', () => {
    const model = parseOnnx(file);
    const again = parseOnnx(serializeOnnx(model));
    expect(again.nodes.map((n) => [n.opType, n.inputs, n.outputs])).toEqual(
      model.nodes.map((n) => [n.opType, n.inputs, n.outputs]),
    );
    expect([...again.weights.keys()].sort()).toEqual([...model.weights.keys()].sort());
    for (const [name, t] of model.weights) expect(again.weights.get(name)!.data).toEqual(t.data);
  });
});
