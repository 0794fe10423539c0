/**
 * Measures the int8 recogniser's activation ranges and writes them to src/read/ocr/rec-calibration-ranges.ts,
 * the table the product quantises with (docs/ocr-int8-calibration.md). Run it only when the model package,
 * the fold or opset rewrites, or the calibration lines change:
 *
 *   npx tsx tools/calibrate-recognizer.ts           # measure and write the table
 *   npx tsx tools/calibrate-recognizer.ts --check   # measure and compare with the committed table (exit 1 if different)
 *
 * The lines are drawn in named fonts (Debian fonts-dejavu-core, fonts-noto-cjk, fonts-wqy-zenhei); the tool
 * refuses to run when fontconfig lacks one of them, since Pango would silently draw another font or hex boxes.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { calibrateRanges } from '../src/read/ocr/calibrate.js';
import { foldGraph } from '../src/read/ocr/fold-graph.js';
import { defaultModelPaths } from '../src/read/ocr/models.js';
import { parseOnnx } from '../src/read/ocr/onnx-graph.js';
import { upgradeToOpset13 } from '../src/read/ocr/opset-upgrade.js';
import { int8Convs, tensorsToCalibrate } from '../src/read/ocr/quantize-graph.js';
import { RECOGNIZER_CALIBRATION } from '../src/read/ocr/rec-calibration-ranges.js';
import type { CalibrationTable } from '../src/read/ocr/rec-calibration.js';
import {
  CALIBRATION_LINES,
  calibrationFonts,
  recognizerCalibrationInputs,
} from '../src/read/ocr/test-support/rec-calibration-lines.js';

const TABLE_FILE = fileURLToPath(new URL('../src/read/ocr/rec-calibration-ranges.ts', import.meta.url));

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The file fontconfig draws `family` from; throws when it would substitute another family. */
function fontFile(family: string): { file: string; sha256: string } {
  const [matched = '', file = ''] = execFileSync('fc-match', ['-f', '%{family}\n%{file}', family], {
    encoding: 'utf8',
  }).split('\n');
  if (!matched.split(',').includes(family))
    throw new Error(
      `Font "${family}" is not installed (fontconfig would draw "${matched}" instead). Install Debian ` +
        'fonts-dejavu-core fonts-noto-cjk fonts-wqy-zenhei (apt-get install --no-install-recommends ...) and run again.',
    );
  return { file, sha256: sha256(readFileSync(file)) };
}

async function measure(): Promise<CalibrationTable> {
  const fonts = Object.fromEntries(calibrationFonts().map((f) => [f, fontFile(f)]));
  const source = readFileSync(defaultModelPaths().recognition);
  const model = parseOnnx(source);
  foldGraph(model);
  upgradeToOpset13(model);
  const ranges = await calibrateRanges(
    model,
    tensorsToCalibrate(int8Convs(model)),
    await recognizerCalibrationInputs(),
  );
  return {
    sourceSha256: sha256(source),
    madeFrom: { tool: 'tools/calibrate-recognizer.ts', lines: CALIBRATION_LINES.length, fonts },
    ranges: Object.fromEntries([...ranges].map(([name, r]) => [name, [r.min, r.max] as const])),
  };
}

let table: CalibrationTable;
try {
  table = await measure();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
if (process.argv.includes('--check')) {
  // The ranges and the model decide the int8 bytes; font paths may differ between machines.
  const same =
    table.sourceSha256 === RECOGNIZER_CALIBRATION.sourceSha256 &&
    JSON.stringify(table.ranges) === JSON.stringify(RECOGNIZER_CALIBRATION.ranges);
  console.log(same ? 'The committed ranges match this measurement.' : 'The committed ranges DIFFER.');
  if (!same) {
    for (const [name, r] of Object.entries(table.ranges)) {
      const c = RECOGNIZER_CALIBRATION.ranges[name];
      if (!c || c[0] !== r[0] || c[1] !== r[1])
        console.log(`  ${name}: committed ${String(c)}, measured ${String(r)}`);
    }
    process.exitCode = 1;
  }
} else {
  const text = [
    '// Written by tools/calibrate-recognizer.ts — do not edit by hand (docs/ocr-int8-calibration.md).',
    '// Each range is the shortest decimal that reads back as the measured float32 value, exactly.',
    '/* eslint-disable no-loss-of-precision */',
    "import type { CalibrationTable } from './rec-calibration.js';",
    '',
    `export const RECOGNIZER_CALIBRATION: CalibrationTable = ${JSON.stringify(table)};`,
    '',
  ].join('\n');
  const style = await resolveConfig(TABLE_FILE);
  writeFileSync(TABLE_FILE, await format(text, { ...style, filepath: TABLE_FILE }));
  console.log(`Wrote ${relative(process.cwd(), TABLE_FILE)}: ${Object.keys(table.ranges).length} tensors.`);
}
