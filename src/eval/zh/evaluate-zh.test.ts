import { describe, expect, it } from 'vitest';
import { evaluateZhSet } from './evaluate-zh.js';
import type { WrittenZhPage } from './generate.js';
import { formatZhReport } from './report.js';

const page = (id: string, degradation: WrittenZhPage['degradation'], text: string): WrittenZhPage => ({
  id,
  passage: 'contract',
  degradation,
  fontFamily: 'Noto Sans CJK SC',
  fontSize: 20,
  params: {},
  format: 'png',
  width: 100,
  height: 100,
  lines: [],
  text,
  imagePath: `${id}.png`,
});

describe('evaluateZhSet', () => {
  it('reports character accuracy and char F1 per degradation and overall (hand-computed)', async () => {
    const pages = [page('a', 'clean', '甲方乙方'), page('b', 'blur', '合同条款'), page('c', 'blur', '发票')];
    // "Reads" each page from a table: a is perfect, b has one wrong character, c is missed entirely.
    const read: Record<string, string[]> = { 'a.png': ['甲方乙方'], 'b.png': ['合司条款'], 'c.png': [] };
    const result = await evaluateZhSet(pages, async (path) => read[path] ?? []);
    expect(result.byDegradation.clean).toMatchObject({ pages: 1, char_accuracy: 1, char_f1: 1, cer: 0 });
    // blur: 6 GT characters, 1 substitution + 2 deletions = 3 edits → accuracy 0.5;
    // 3 of 4 predicted characters match 3 of 6 GT → P 0.75, R 0.5, F1 0.6.
    expect(result.byDegradation.blur!.char_accuracy).toBeCloseTo(0.5, 12);
    expect(result.byDegradation.blur!.char_f1).toBeCloseTo(0.6, 12);
    // overall: 10 GT characters, 3 edits.
    expect(result.overall.char_accuracy).toBeCloseTo(0.7, 12);
    expect(result.overall.pages).toBe(3);
    const table = formatZhReport(result, { fonts: ['Noto Sans CJK SC'], threads: 1 });
    expect(table).toMatch(/\| blur +\| 2 +\| 0\.500 +\| 0\.600 +\|/);
    expect(table).toMatch(/\| overall +\| 3 +\| 0\.700 +\|/);
  });

  it('never reports a negative accuracy when the reader invents text', async () => {
    const result = await evaluateZhSet([page('a', 'noise', '甲')], async () => ['甲乙丙丁']);
    expect(result.overall.cer).toBe(3);
    expect(result.overall.char_accuracy).toBe(0);
  });
});
