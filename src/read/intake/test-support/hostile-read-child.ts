/**
 * A child process for the hostile-corpus test: reads each file named on stdin's JSON through readDocument
 * (pages decoded or rendered, OCR stubbed: intake is under test, not recognition) and prints one JSON line
 * per file as it ends — `{ path, code, ms }` — then `{ maxRssBytes }`. The parent watches the lines, so a
 * file that hangs is named and the process killed.
 *
 * Usage: node --import tsx hostile-read-child.ts '<config overrides JSON>' '<paths JSON>'
 */
import { loadConfig } from '../../../config/config.js';
import { isDocSightError } from '../../../errors.js';
import type { OcrEngine } from '../../ocr/engine.js';
import { readDocument } from '../../read-document.js';

const [overrides, pathsJson] = process.argv.slice(2);
const config = loadConfig({ env: {}, flags: JSON.parse(overrides!) });
const paths = JSON.parse(pathsJson!) as string[];
const ocr: OcrEngine = {
  recognize: async (image) => ({ width: image.width, height: image.height, rotation: 0, lines: [] }),
  close: async () => {},
};
for (const path of paths) {
  const started = performance.now();
  let code = 'ok';
  try {
    for await (const page of readDocument({ path }, { config, ocr, pageImageDpi: 72 })) void page;
  } catch (err) {
    code = isDocSightError(err) ? err.code : `uncoded: ${(err as Error).message}`;
  }
  process.stdout.write(`${JSON.stringify({ path, code, ms: Math.round(performance.now() - started) })}\n`);
}
process.stdout.write(`${JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
