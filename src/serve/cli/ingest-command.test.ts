import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli } from './main.js';

const home = mkdtempSync(join(tmpdir(), 'docsight-cli-library-'));
const docs = join(home, 'inbox');
mkdirSync(join(docs, 'sub'), { recursive: true });
writeFileSync(join(docs, 'invoice.txt'), '上海增值税专用发票\nTOTAL 112.45\fsecond page 2018-02-12');
writeFileSync(join(docs, 'sub', 'receipt.txt'), 'PERNIAGAAN ZHENG HUI\nDATE 12/02/2018');
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** Runs the CLI in-process and returns its exit code and what it printed. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  process.exitCode = undefined;
  try {
    const code = await runCli(['--home', home, ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
}

describe('library commands', () => {
  it('ingests a folder recursively and waits for it', async () => {
    const r = await cli('ingest', docs, '--collection', 'inbox', '--wait');
    expect(r.code).toBe(0);
    expect(r.out).toContain('2 new document(s), 2 job(s) queued, 0 rejected.');
    expect(r.err).toMatch(/done {2}invoice\.txt \(2 pages\)/);
  });

  it('adds nothing for the same file again in the same collection', async () => {
    const r = await cli('ingest', join(docs, 'invoice.txt'), '--collection', 'inbox');
    expect(r.out).toContain('0 new document(s), 0 job(s) queued');
    expect(r.err).toContain('already in the library');
  });

  it('searches Chinese and prints the page with the match highlighted', async () => {
    const r = await cli('search', '发票');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/1\. invoice\.txt {2}p\.1/);
    expect(r.out).toContain('上海增值税专用[发票]');
    expect(r.err).toContain('BM25 only');
  });

  it('prints JSON results with boxes', async () => {
    const r = await cli('search', '12/02/2018', '--json');
    const json = JSON.parse(r.out) as {
      mode: string;
      results: { documentName: string; boxes: number[][] }[];
    };
    expect(json.mode).toBe('bm25');
    expect(json.results.map((x) => x.documentName)).toEqual(['receipt.txt']);
    expect(json.results[0]!.boxes).toEqual([[0, 20, 150, 20, 150, 40, 0, 40]]);
  });

  it('lists, shows and removes documents, and lists jobs', async () => {
    expect((await cli('docs', 'list')).out).toMatch(/ready .* inbox {2}invoice\.txt/);
    expect((await cli('docs', 'show', '1')).out).toContain('--- page 2 (text-layer');
    expect((await cli('jobs')).out).toMatch(/done +2\/2 pages/);
    expect((await cli('docs', 'rm', '1')).out).toContain('Removed document 1.');
    expect((await cli('search', '发票')).out).toContain('No matches.');
  });

  it('refuses bad arguments with a clear error', async () => {
    const k = await cli('search', 'x', '--k', 'many');
    expect(k.code).toBe(1);
    expect(k.err).toContain('--k must be a whole number');
    const missing = await cli('docs', 'show', '999');
    expect(missing.err).toContain('No document 999');
    const nothing = await cli('ingest', join(home, 'nope.pdf'));
    expect(nothing.err).toContain('no such file or folder');
  });

  it('queues a document to be read again, and refuses a job limit of 0', async () => {
    const again = await cli('docs', 'reingest', '2');
    expect(again.out).toMatch(/^Queued: receipt\.txt \(job \d+\)\.\n$/);
    expect((await cli('docs', 'reingest', '2')).out).toMatch(/^Already queued: receipt\.txt/);
    expect((await cli('jobs', 'run')).err).toMatch(/done {2}receipt\.txt \(1 pages\)/);
    expect((await cli('search', 'zheng')).out).toContain('receipt.txt');
    const limit = await cli('jobs', '--limit', '0');
    expect(limit.code).toBe(1);
    expect(limit.err).toContain('--limit must be a whole number of 1 or more, not "0".');
  });
});
