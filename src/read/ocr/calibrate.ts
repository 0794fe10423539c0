import ort from 'onnxruntime-node';
import { addFloatGraphOutput, serializeOnnx, type OnnxModel } from './onnx-graph.js';
import type { TensorRange } from './quantize-graph.js';

/**
 * Activation ranges for static quantisation (quantize-graph.ts): the float model is run on calibration
 * inputs with the tensors of interest listed as extra graph outputs, and each tensor's min and max are kept.
 * Everything here is deterministic — fixed inputs, one thread — so the same package file gives the same
 * quantised model.
 */

export interface CalibrationInput {
  data: Float32Array;
  dims: number[];
}

/** Min and max of each of `tensors` over all `inputs`, run through `model` (float; left unchanged). */
export async function calibrateRanges(
  model: OnnxModel,
  tensors: readonly string[],
  inputs: readonly CalibrationInput[],
): Promise<Map<string, TensorRange>> {
  const probe: OnnxModel = { ...model, graphFields: [...model.graphFields] };
  for (const t of tensors) addFloatGraphOutput(probe, t);
  const session = await ort.InferenceSession.create(serializeOnnx(probe), {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    // No fusions: every listed tensor must exist as computed by the float graph.
    graphOptimizationLevel: 'disabled',
  });
  const ranges = new Map<string, TensorRange>(tensors.map((t) => [t, { min: Infinity, max: -Infinity }]));
  try {
    for (const input of inputs) {
      const out = await session.run(
        { [session.inputNames[0]!]: new ort.Tensor('float32', input.data, input.dims) },
        [...tensors],
      );
      for (const t of tensors) {
        const data = out[t]!.data as Float32Array;
        const r = ranges.get(t)!;
        for (let i = 0; i < data.length; i++) {
          const v = data[i]!;
          if (v < r.min) r.min = v;
          if (v > r.max) r.max = v;
        }
      }
    }
  } finally {
    await session.release();
  }
  return ranges;
}
