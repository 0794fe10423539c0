import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isDocSightError } from '../../errors.js';
import { detectDatasetKind, loadDataset, parseFunsdJson, parseSroieBoxCsv } from './datasets.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Writes a tiny split (images/ + gt/) into a fresh temp folder; image bytes are never decoded here. */
function fakeSplit(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'docsight-split-'));
  made.push(dir);
  mkdirSync(join(dir, 'images'));
  mkdirSync(join(dir, 'gt'));
  for (const [path, content] of Object.entries(files)) writeFileSync(join(dir, path), content);
  return dir;
}

const funsdJson = JSON.stringify({
  form: [
    {
      text: 'Date: 1990',
      words: [
        { text: '1990', box: [60, 10, 100, 20] },
        { text: 'Date:', box: [10, 10, 50, 20] },
      ],
    },
    { text: '', words: [{ text: '', box: [0, 0, 5, 5] }] },
    { text: 'To', words: [{ text: 'To', box: [10, 40, 30, 50] }] },
  ],
});

describe('parseSroieBoxCsv', () => {
  it('splits on the first eight commas only, so transcripts keep their commas', () => {
    const items = parseSroieBoxCsv('\uFEFF1,2,3,2,3,4,1,4,TOTAL, INCL. GST\r\n\r\n5,6,7,6,7,8,5,8,RM9.00\n');
    expect(items).toEqual([
      { text: 'TOTAL, INCL. GST', box: [1, 2, 3, 2, 3, 4, 1, 4] },
      { text: 'RM9.00', box: [5, 6, 7, 6, 7, 8, 5, 8] },
    ]);
  });

  it('rejects a row without eight coordinates, naming the line', () => {
    expect(() => parseSroieBoxCsv('1,2,3,TOTAL', 'x.box.csv')).toThrow(/x\.box\.csv line 1/);
  });
});

describe('parseFunsdJson', () => {
  it('keeps every non-empty word with its box as a quad', () => {
    expect(parseFunsdJson(JSON.parse(funsdJson))).toEqual([
      { text: '1990', box: [60, 10, 100, 10, 100, 20, 60, 20] },
      { text: 'Date:', box: [10, 10, 50, 10, 50, 20, 10, 20] },
      { text: 'To', box: [10, 40, 30, 40, 30, 50, 10, 50] },
    ]);
  });

  it('rejects a file that is not a FUNSD annotation', () => {
    expect(() => parseFunsdJson({ lines: [] }, 'a.json')).toThrow(/a\.json: expected \{"form"/);
  });
});

describe('loadDataset', () => {
  it('reads a SROIE-style split and detects its kind', () => {
    const dir = fakeSplit({
      'images/001.jpg': 'x',
      'images/002.jpg': 'x',
      'images/003.jpg': 'x', // no GT: reported as skipped
      'gt/001.box.csv': '0,0,10,0,10,10,0,10,SHOP\n0,20,10,20,10,30,0,30,TOTAL 9.00\n',
      'gt/001.key.json': '{}',
      'gt/002.box.csv': '0,0,10,0,10,10,0,10,CASH\n',
      'gt/002.key.json': '{}',
    });
    expect(detectDatasetKind(dir)).toBe('sroie');
    const loaded = loadDataset(dir);
    expect(loaded.kind).toBe('sroie');
    expect(loaded.pages.map((p) => p.id)).toEqual(['001', '002']);
    expect(loaded.pages[0]!.text).toBe('SHOP\nTOTAL 9.00');
    expect(loaded.pages[0]!.imagePath).toBe(join(dir, 'images', '001.jpg'));
    expect(loaded.skipped).toEqual(['003']);
  });

  it('reads a FUNSD-style split, putting words into reading order', () => {
    const dir = fakeSplit({ 'images/0001.png': 'x', 'gt/0001.json': funsdJson });
    expect(detectDatasetKind(dir)).toBe('funsd');
    const { kind, pages } = loadDataset(dir);
    expect(kind).toBe('funsd');
    expect(pages[0]!.text).toBe('Date: 1990\nTo');
  });

  it('explains what is wrong with a folder that is not a split', () => {
    const dir = fakeSplit({});
    rmSync(join(dir, 'gt'), { recursive: true });
    try {
      loadDataset(dir);
      expect.unreachable();
    } catch (err) {
      expect(isDocSightError(err, 'BAD_REQUEST')).toBe(true);
      expect((err as Error).message).toMatch(/needs images\/ and gt\//);
    }
    expect(() => detectDatasetKind(join(dir, 'missing'))).toThrow(/does not exist/);
  });

  it('asks for --kind when the GT files are of no known kind', () => {
    const dir = fakeSplit({ 'images/a.png': 'x', 'gt/a.txt': 'hello' });
    expect(() => detectDatasetKind(dir)).toThrow(/Pass --kind/);
  });

  it('reports an empty split as an error rather than scoring zero pages', () => {
    const dir = fakeSplit({ 'images/a.png': 'x' });
    expect(() => loadDataset(dir, 'funsd')).toThrow(/holds no FUNSD pages/);
  });
});
