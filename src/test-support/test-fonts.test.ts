import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TEST_FONTS, testFontDirs } from './test-fonts.js';

describe('the test fonts (global setup)', () => {
  const list = (...args: string[]) => execFileSync('fc-list', args, { encoding: 'utf8' }).trim().split('\n');

  it('shows the tests only the npm fonts: every font file fontconfig lists is in one of their folders', () => {
    expect(process.env.FONTCONFIG_FILE).toBeDefined();
    const files = list('--format', '%{file}\n');
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(testFontDirs().some((dir) => file.startsWith(`${dir}/`))).toBe(true);
  });

  it('has every family the tests name, and a Chinese one', () => {
    const families = new Set(list(':', 'family').flatMap((l) => l.split(',')));
    for (const family of Object.values(TEST_FONTS)) expect(families).toContain(family);
    expect(list(':lang=zh', 'family')).toContain(TEST_FONTS.zh);
  });
});
