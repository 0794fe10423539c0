import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testFontDirs, writeTestFontConfig } from './test-fonts.js';

/**
 * vitest global setup: every test process (and every process a test starts) sees only the npm test fonts
 * (test-fonts.ts). Runs in the main process before the test workers start, so they inherit FONTCONFIG_FILE
 * before sharp first asks fontconfig for a font.
 */
export default function setup(): void {
  // One folder per checkout: two checkouts tested at once on one machine (a CI clone beside a working tree)
  // must not point each other at their own node_modules.
  const checkout = createHash('sha256').update(testFontDirs().join('\n')).digest('hex').slice(0, 12);
  process.env.FONTCONFIG_FILE = writeTestFontConfig(join(tmpdir(), `docsight-test-fonts-${checkout}`));
}
