import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { cropTextLine } from './crop.js';
import { foldGraph } from './fold-graph.js';
import { defaultModelPaths } from './models.js';
import { parseOnnx, serializeOnnx } from './onnx-graph.js';
import { toRgb } from './pixels.js';
import { packStrips, REC_HEIGHT } from './recognize.js';
import { renderLine } from './test-support/test-pages.js';

const paths = defaultModelPaths();

/** Runs an ONNX model (path or bytes) on one input and returns its first output. */
async function run(model: string | Uint8Array, input: Float32Array, dims: number[]): Promise<Float32Array> {
  const session =
    typeof model === 'string'
      ? await ort.InferenceSession.create(model, { intraOpNumThreads: 1 })
      : await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, dims) });
  const data = out[session.outputNames[0]!]!.data as Float32Array;
  await session.release();
  return data;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

async function recInput(): Promise<{ input: Float32Array; dims: number[] }> {
  const img = toRgb(await renderLine('Invoice INV-2024-0419, total 1,991.30', 30));
  const strip = cropTextLine(img, [0, 0, img.width, 0, img.width, img.height, 0, img.height], REC_HEIGHT);
  const width = Math.ceil(strip.width / 8) * 8;
  return { input: packStrips([strip], REC_HEIGHT, width), dims: [1, 3, REC_HEIGHT, width] };
}

describe('foldGraph on the PP-OCRv4 models', () => {
  it('turns the recogniser’s element-wise passes into conv weights and HardSigmoid, with the same output', async () => {
    const model = parseOnnx(readFileSync(paths.recognition));
    const before = model.nodes.length;
    const counts = foldGraph(model);
    // 28 hard-swish activations, and a learnable affine on each side of most convolutions.
    expect(counts.hardSwish).toBe(28);
    expect(counts.affineIntoConv).toBeGreaterThan(40);
    expect(counts.affineBeforeConv).toBeGreaterThan(40);
    // 456 nodes before, 307 after; no Clip is left, 2 HardSigmoids were there already.
    expect(model.nodes.length).toBeLessThan(before - 140);
    expect(model.nodes.filter((n) => n.opType === 'Clip')).toHaveLength(0);
    expect(model.nodes.filter((n) => n.opType === 'HardSigmoid')).toHaveLength(30);
    // Offsets before padded (depthwise) convolutions remain, as per-channel BatchNormalization.
    expect(model.nodes.filter((n) => n.opType === 'BatchNormalization').length).toBeGreaterThan(10);

    const { input, dims } = await recInput();
    const original = await run(paths.recognition, input, dims);
    const folded = await run(serializeOnnx(model), input, dims);
    // Softmax outputs: equal up to float rounding, so the decoded text cannot change.
    expect(maxAbsDiff(original, folded)).toBeLessThan(1e-4);
  });

  it('gives the detector and the direction classifier the same outputs', async () => {
    const cases: [string, number[]][] = [
      [paths.detection, [1, 3, 256, 320]],
      [paths.classifier, [1, 3, 48, 192]],
    ];
    for (const [path, dims] of cases) {
      const n = dims.reduce((a, b) => a * b, 1);
      const input = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37));
      const model = parseOnnx(readFileSync(path));
      foldGraph(model);
      const d = maxAbsDiff(
        await run(path, input, [...dims]),
        await run(serializeOnnx(model), input, [...dims]),
      );
      expect(d).toBeLessThan(1e-4);
    }
  });

  it('is deterministic: the same file folds to the same bytes', () => {
    const fold = () => {
      const model = parseOnnx(readFileSync(paths.classifier));
      foldGraph(model);
      return serializeOnnx(model);
    };
    expect(Buffer.from(fold()).equals(Buffer.from(fold()))).toBe(true);
  });
});
