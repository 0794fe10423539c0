import { createHash } from 'node:crypto';
import type { TensorRange } from './quantize-graph.js';

/**
 * The int8 recogniser's activation ranges, measured once and committed (rec-calibration-ranges.ts), so that
 * the quantised model depends only on files that ship with the package — never on the fonts or anything else
 * of the host it runs on. tools/calibrate-recognizer.ts measures them (docs/ocr-int8-calibration.md).
 */
export interface CalibrationTable {
  /** sha256 of the float model file the ranges were measured on (the npm package's recogniser). */
  sourceSha256: string;
  /** What the ranges were measured from, for people: the tool, its lines, each font family's file. */
  madeFrom: { tool: string; lines: number; fonts: Record<string, { file: string; sha256: string }> };
  /** [min, max] of each convolution input and output of the folded, opset-13 graph, by tensor name. */
  ranges: Record<string, readonly [number, number]>;
}

/** A short fingerprint of everything in `table` (part of the cached int8 model's name). */
export function calibrationDigest(table: CalibrationTable): string {
  return createHash('sha256').update(JSON.stringify(table)).digest('hex').slice(0, 12);
}

/** The table's ranges as quantizeConvs takes them. */
export function calibrationRanges(table: CalibrationTable): Map<string, TensorRange> {
  return new Map(Object.entries(table.ranges).map(([name, [min, max]]) => [name, { min, max }]));
}
