import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateZhPages, writeZhSet, type ZhSetOptions } from './generate.js';
import { ZH_PASSAGES } from './passages.js';
import { wrapParagraph } from './render-page.js';
import { greyPixels, inkBands } from './test-support/ink.js';

// A small slice of the set keeps the test quick: one passage, two degradations.
const slice: ZhSetOptions = {
  seed: 5,
  passages: [ZH_PASSAGES[3]!],
  degradations: ['clean', 'noise'],
};

async function collect(options: ZhSetOptions) {
  const pages = [];
  for await (const page of generateZhPages(options)) pages.push(page);
  return pages;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('generateZhPages', () => {
  it('gives byte-identical pages for the same seed', async () => {
    const [a, b] = await Promise.all([collect(slice), collect(slice)]);
    expect(a.map((p) => sha(p.image))).toEqual(b.map((p) => sha(p.image)));
    expect(a.map((p) => p.id)).toEqual(['00-mixed-clean-20px', '01-mixed-noise-28px']);
    const other = await collect({ ...slice, seed: 6 });
    expect(sha(other[1]!.image)).not.toBe(sha(a[1]!.image));
  });

  it('has GT equal to the passage as drawn: every character, in order, one ink band per line', async () => {
    const [clean] = await collect({ ...slice, degradations: ['clean'] });
    const passage = ZH_PASSAGES[3]!.paragraphs.join('').replace(/\s/g, '');
    expect(clean!.text.replace(/\s/g, '')).toBe(passage);
    expect(clean!.text.split('\n')).toEqual(clean!.lines.map((l) => l.text));
    expect(clean!.lines.map((l) => l.text)).toEqual(
      ZH_PASSAGES[3]!.paragraphs.flatMap((p) => wrapParagraph(p, (1240 - 180) / 20)),
    );
    expect(inkBands(await greyPixels(clean!.image))).toHaveLength(clean!.lines.length);
  });

  it('covers every passage under every degradation by default: 24 pages', async () => {
    // Only the plan is checked here (ids); drawing all 24 pages is the job of `docsight eval ocr-zh`.
    const ids: string[] = [];
    const options: ZhSetOptions = {
      seed: 1,
      passages: ZH_PASSAGES.map((p) => ({ ...p, paragraphs: ['一'] })),
    };
    for await (const page of generateZhPages(options)) ids.push(page.id);
    expect(ids).toHaveLength(24);
    expect(new Set(ids.map((id) => id.split('-').slice(2, -1).join('-')))).toEqual(
      new Set(['clean', 'blur', 'noise', 'skew', 'jpeg', 'low-contrast']),
    );
    expect(new Set(ids.map((id) => id.split('-').at(-1)))).toEqual(new Set(['20px', '28px', '40px']));
  });

  it("stops after `limit` pages, which are the full set's first pages", async () => {
    const options: ZhSetOptions = {
      seed: 1,
      passages: ZH_PASSAGES.map((p) => ({ ...p, paragraphs: ['一'] })),
      degradations: ['clean', 'noise'],
    };
    const all = await collect(options);
    const first = await collect({ ...options, limit: 5 });
    expect(first.map((p) => p.id)).toEqual(all.slice(0, 5).map((p) => p.id));
    expect(first.map((p) => sha(p.image))).toEqual(all.slice(0, 5).map((p) => sha(p.image)));
  });
});

describe('writeZhSet', () => {
  it('writes each image and its GT file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'docsight-zh-'));
    try {
      const pages = await writeZhSet(dir, { ...slice, degradations: ['jpeg'] });
      expect(pages).toHaveLength(1);
      expect(pages[0]!.imagePath).toMatch(/images\/00-mixed-jpeg-20px\.jpg$/);
      expect(existsSync(pages[0]!.imagePath)).toBe(true);
      const gt = JSON.parse(readFileSync(join(dir, 'gt', '00-mixed-jpeg-20px.json'), 'utf8'));
      expect(gt.text).toBe(pages[0]!.text);
      expect(gt.params.quality).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
