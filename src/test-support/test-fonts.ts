import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The fonts tests draw text in, all from npm devDependencies, so that a fresh `npm install && npm test` needs
 * no font on the host: dejavu-fonts-ttf (DejaVu 2.37, the Debian fonts-dejavu-core version) and
 * @expo-google-fonts/noto-sans-sc (Noto Sans SC, SIL OFL 1.1; the Simplified Chinese subset of Noto Sans CJK).
 * vitest's global setup (test-font-setup.ts) points fontconfig at these folders only, before any test renders.
 */
export const TEST_FONTS = {
  sans: 'DejaVu Sans',
  serif: 'DejaVu Serif',
  mono: 'DejaVu Sans Mono',
  zh: 'Noto Sans SC',
} as const;

/** The folders holding the test fonts' files, inside node_modules. */
export function testFontDirs(): string[] {
  const require = createRequire(import.meta.url);
  return [
    join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf'),
    join(dirname(require.resolve('@expo-google-fonts/noto-sans-sc/package.json')), '400Regular'),
  ];
}

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Writes a fontconfig file that lists only the test fonts (no system folder, no user folder) into `dir` and
 * returns its path, for FONTCONFIG_FILE. Its font cache lives beside it.
 */
export function writeTestFontConfig(dir: string): string {
  const file = join(dir, 'fonts.conf');
  const xml = [
    '<?xml version="1.0"?>',
    '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">',
    '<fontconfig>',
    ...testFontDirs().map((d) => `  <dir>${escapeXml(d)}</dir>`),
    `  <cachedir>${escapeXml(join(dir, 'cache'))}</cachedir>`,
    // Debian's defaults (conf.d 10-hinting-slight, 10-yes-antialias), written out so that glyphs are drawn
    // the same on every host, and as they were drawn when the tests' figures were set.
    '  <match target="pattern"><edit name="hintstyle" mode="assign"><const>hintslight</const></edit></match>',
    '  <match target="pattern"><edit name="antialias" mode="assign"><bool>true</bool></edit></match>',
    '</fontconfig>',
    '',
  ].join('\n');
  mkdirSync(dir, { recursive: true });
  // Test runs in several worktrees may write it at once: each writes its own temporary file and renames it.
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, xml);
  renameSync(temp, file);
  return file;
}
