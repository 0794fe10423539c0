import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { renderTextPage } from '../../eval/zh/render-page.js';
import { runCli } from './main.js';

let dir: string;
const lines = ['HARBOUR STREET SUPPLIES', 'INVOICE NO. 20240419', 'TOTAL 2,389.56'];

beforeAll(async () => {
  // A one-page split in SROIE's layout, drawn here so the test owns its GT.
  dir = mkdtempSync(join(tmpdir(), 'docsight-eval-cli-'));
  mkdirSync(join(dir, 'images'));
  mkdirSync(join(dir, 'gt'));
  const page = await renderTextPage({
    width: 900,
    height: 260,
    margin: 30,
    fontFamily: 'DejaVu Sans',
    fontSize: 36,
    paragraphs: lines,
  });
  writeFileSync(join(dir, 'images', '001.png'), page.image);
  const csv = page.lines.map((l) => `${l.box.map(Math.round).join(',')},${l.text}`).join('\n');
  writeFileSync(join(dir, 'gt', '001.box.csv'), `${csv}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Runs the CLI and returns its exit code with what it wrote to stdout and stderr. */
async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
  const code = await runCli(args);
  vi.restoreAllMocks();
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('docsight eval ocr', () => {
  it('reads a split with the real engine and prints one JSON object', async () => {
    const predictions = join(dir, 'predictions');
    const { code, stdout, stderr } = await cli(
      'eval',
      'ocr',
      '--dataset',
      dir,
      '--json',
      '--predictions',
      predictions,
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Record<string, number | string>;
    expect(report).toMatchObject({ pages: 1, kind: 'sroie' });
    // Clean printed text in a plain font: PP-OCRv4 reads its characters nearly perfectly. (Word figures are
    // the engine's word segmentation, measured by the evaluations, not asserted here.)
    expect(report.char_f1).toBeGreaterThan(0.9);
    expect(report.cer).toBeLessThan(0.1);
    expect(typeof report.f1).toBe('number');
    expect(report.seconds_per_page).toBeGreaterThan(0);
    expect(stderr).toMatch(/\[1\/1\] 001/);
    expect(readFileSync(join(predictions, '001.gt.txt'), 'utf8')).toBe(`${lines.join('\n')}\n`);
    expect(readFileSync(join(predictions, '001.pred.txt'), 'utf8')).toMatch(/2,389\.56/);
  });

  it('explains a missing dataset folder', async () => {
    const { code, stderr } = await cli('eval', 'ocr', '--dataset', join(dir, 'nope'));
    expect(code).toBe(1);
    expect(stderr).toMatch(/error \(NOT_FOUND\): .*does not exist/);
  });

  it('rejects a bad --limit and an unknown --kind with a clear message', async () => {
    const limit = await cli('eval', 'ocr', '--dataset', dir, '--limit', '0');
    expect(limit.code).toBe(1);
    expect(limit.stderr).toMatch(/--limit must be a whole number of 1 or more/);
    const kind = await cli('eval', 'ocr', '--dataset', dir, '--kind', 'cord');
    expect(kind.code).toBe(1);
    expect(kind.stderr).toMatch(/--kind must be sroie or funsd/);
  });
});

describe('docsight eval ocr-zh', () => {
  it('generates the first pages of the Chinese set, reads them with the real engine and keeps them with --out', async () => {
    const out = join(dir, 'zh');
    const { code, stdout, stderr } = await cli('eval', 'ocr-zh', '--limit', '2', '--json', '--out', out);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { pages: number; char_accuracy: number; by_degradation: unknown[] };
    expect(report.pages).toBe(2);
    // The first pages are the undegraded ones: the Chinese recogniser reads rendered text almost perfectly.
    expect(report.char_accuracy).toBeGreaterThan(0.95);
    expect(stderr).toMatch(/\[2\/2\]/);
    const predictions = readdirSync(join(out, 'predictions')).sort();
    expect(predictions).toHaveLength(4); // <id>.gt.txt and <id>.pred.txt per page
    const gt = readFileSync(
      join(
        out,
        'predictions',
        predictions.find((f) => f.endsWith('.gt.txt'))!,
      ),
      'utf8',
    );
    expect(gt).toMatch(/\p{Script=Han}{4}/u);
  });
});
