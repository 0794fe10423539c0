import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { foldGraph } from './fold-graph.js';
import { defaultModelPaths } from './models.js';
import { defaultOpset, parseOnnx, serializeOnnx } from './onnx-graph.js';
import { upgradeToOpset13 } from './opset-upgrade.js';
import { recognizerCalibrationInputs } from './test-support/rec-calibration-lines.js';

async function run(bytes: Uint8Array, input: { data: Float32Array; dims: number[] }): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const out = await session.run({
    [session.inputNames[0]!]: new ort.Tensor('float32', input.data, input.dims),
  });
  await session.release();
  return out[session.outputNames[0]!]!.data as Float32Array;
}

describe('upgradeToOpset13', () => {
  it('moves the folded recogniser to opset 13 without changing what it computes', async () => {
    const source = readFileSync(defaultModelPaths().recognition);
    const model = parseOnnx(source);
    expect(defaultOpset(model)).toBe(9);
    foldGraph(model);
    upgradeToOpset13(model);
    expect(defaultOpset(model)).toBe(13);
    for (const n of model.nodes.filter((n) => n.opType === 'Slice' || n.opType === 'Squeeze')) {
      expect(n.attributes.size).toBe(0);
      expect(n.inputs.length).toBeGreaterThan(1);
    }
    // Two strips of different widths: the attention blocks' Slice/Squeeze/Softmax see varying shapes.
    const inputs = (await recognizerCalibrationInputs()).slice(0, 2);
    for (const input of inputs) {
      const before = await run(source, input);
      const after = await run(serializeOnnx(model), input);
      expect(after.length).toBe(before.length);
      let worst = 0;
      for (let i = 0; i < before.length; i++) worst = Math.max(worst, Math.abs(after[i]! - before[i]!));
      // The fold's own rounding (6e-6, fold-graph.ts); a changed operator would move probabilities far more.
      expect(worst).toBeLessThan(1e-4);
    }
  });

  it('refuses an operator whose form changed on the way (the unfolded classifier: opset-9 Clip)', () => {
    const model = parseOnnx(readFileSync(defaultModelPaths().classifier));
    expect(model.nodes.some((n) => n.opType === 'Clip')).toBe(true);
    expect(() => upgradeToOpset13(model)).toThrow(/Clip may change meaning between opset 9 and 13/);
  });
});
