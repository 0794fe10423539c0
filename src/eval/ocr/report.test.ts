import { describe, expect, it } from 'vitest';
import { summarizePages } from './evaluate.js';
import { formatOcrReport, ocrReportJson } from './report.js';
import { countPage } from './score.js';

const evaluation = summarizePages([
  { id: 'a', seconds: 2, counts: countPage('TOTAL 9.00', 'Total 9.00'), predicted: 'Total 9.00' },
  { id: 'b', seconds: 4, counts: countPage('CASH', 'CASH'), predicted: 'CASH' },
]);
const info = { dataset: '/data/sroie/dev', kind: 'sroie', threads: 1, model_load_seconds: 0.5, skipped: [] };

describe('ocrReportJson', () => {
  it('carries the keys the CLI promises, with the scored values', () => {
    const json = ocrReportJson(evaluation, info);
    // 3 GT words, 3 predicted, 2 matched ("Total" ≠ "TOTAL").
    expect(json).toMatchObject({ pages: 2, seconds_per_page: 3, f1_ci: 1, kind: 'sroie' });
    expect(json.precision).toBeCloseTo(2 / 3, 12);
    expect(json.recall).toBeCloseTo(2 / 3, 12);
    expect(json.f1).toBeCloseTo(2 / 3, 12);
    for (const key of ['char_f1', 'cer', 'char_f1_ci', 'cer_ci']) expect(typeof json[key]).toBe('number');
  });
});

describe('formatOcrReport', () => {
  it('prints one row per metric and names what was read', () => {
    const text = formatOcrReport(evaluation, { ...info, skipped: ['x'] });
    expect(text).toContain('OCR on /data/sroie/dev (sroie, 1 thread)');
    expect(text).toMatch(/\| word F1 +\| 0\.667 \|/);
    expect(text).toMatch(/\| seconds per page +\| 3\.00 +\|/);
    expect(text).toContain('images without GT, not scored: x');
  });
});
