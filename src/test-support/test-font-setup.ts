import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTestFontConfig } from './test-fonts.js';

/**
 * vitest global setup: every test process (and every process a test starts) sees only the npm test fonts
 * (test-fonts.ts). Runs in the main process before the test workers start, so they inherit FONTCONFIG_FILE
 * before sharp first asks fontconfig for a font.
 */
export default function setup(): void {
  process.env.FONTCONFIG_FILE = writeTestFontConfig(join(tmpdir(), 'docsight-test-fonts'));
}
