import { describe, expect, it } from 'vitest';
import { evaluateOcr, predictedPageText, type RecognizePage } from './evaluate.js';

// The evaluator takes any page reader; this one "reads" a page by looking its text up in a table, which is
// exactly what the scoring needs to be checked alone (the real engine is wired in by the CLI).
const tableReader =
  (table: Record<string, string[]>): RecognizePage =>
  async (imagePath) =>
    table[imagePath] ?? [];

describe('evaluateOcr', () => {
  it('scores every page and micro-averages the counts', async () => {
    const pages = [
      { id: 'a', imagePath: 'a.png', text: 'TOTAL 9.00\nCASH 10.00' },
      { id: 'b', imagePath: 'b.png', text: 'THANK YOU' },
    ];
    const seen: string[] = [];
    const report = await evaluateOcr(
      pages,
      tableReader({ 'a.png': ['TOTAL 9.00', 'CASH 10.00'], 'b.png': ['THANK', 'Y0U'] }),
      { onPage: (r, done, total) => seen.push(`${r.id} ${done}/${total}`) },
    );
    expect(seen).toEqual(['a 1/2', 'b 2/2']);
    expect(report.pages).toBe(2);
    // 6 GT words, 6 predicted, 5 matched ("Y0U" ≠ "YOU").
    expect(report.counts).toMatchObject({ gtWords: 6, predWords: 6, matchedWords: 5 });
    expect(report.precision).toBeCloseTo(5 / 6, 12);
    // 26 GT characters (TOTAL9.00CASH10.00THANKYOU), one substitution.
    expect(report.counts.gtChars).toBe(26);
    expect(report.cer).toBeCloseTo(1 / 26, 12);
    expect(report.perPage[1]!.predicted).toBe('THANK\nY0U');
    expect(report.seconds_per_page).toBeGreaterThanOrEqual(0);
  });

  it('stops when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      evaluateOcr([{ id: 'a', imagePath: 'a', text: 'x' }], tableReader({}), { signal: controller.signal }),
    ).rejects.toThrow();
  });
});

describe('evaluateOcr with boxes', () => {
  it('adds a box-matched CER that ignores line order', async () => {
    const rect = (y: number): [number, number, number, number, number, number, number, number] => [
      0,
      y,
      100,
      y,
      100,
      y + 10,
      0,
      y + 10,
    ];
    const items = [
      { text: 'FIRST', box: rect(0) },
      { text: 'SECOND', box: rect(20) },
    ];
    const page = { id: 'a', imagePath: 'a', text: 'FIRST\nSECOND', items };
    // The engine found both lines but its boxes put SECOND above FIRST (say, a column read first).
    const report = await evaluateOcr([page], async () => [
      { text: 'SECOND', box: rect(20) },
      { text: 'FIRST', box: rect(0) },
    ]);
    expect(report.cer).toBe(0);
    expect(report.cer_boxes).toBe(0);
    const plain = await evaluateOcr([page], async () => ['SECOND', 'FIRST']);
    expect(plain.cer).toBeGreaterThan(0);
    expect(plain.cer_boxes).toBeNull();
  });
});

describe('predictedPageText', () => {
  it('keeps the engine order for plain strings', () => {
    expect(predictedPageText(['b', 'a'])).toBe('b\na');
  });

  it('orders boxed lines by geometry', () => {
    expect(
      predictedPageText([
        { text: 'low', box: [0, 50, 10, 50, 10, 60, 0, 60] },
        { text: 'high', box: [0, 0, 10, 0, 10, 10, 0, 10] },
      ]),
    ).toBe('high\nlow');
  });
});
