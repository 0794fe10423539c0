import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReadPage } from './page-reader.js';
import { createPlainTextReader, MAX_LINES_PER_TEXT_PAGE } from './plain-text-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'docsight-text-'));

async function read(content: string | Uint8Array, maxPages = 2000): Promise<ReadPage[]> {
  const path = join(dir, `t${Math.random()}.txt`);
  writeFileSync(path, content);
  const pages: ReadPage[] = [];
  const reader = createPlainTextReader({ maxPages });
  const signal = new AbortController().signal;
  for await (const page of reader({ path, name: 'notes.txt', mime: 'text/plain' }, { signal }))
    pages.push(page);
  return pages;
}

describe('createPlainTextReader', () => {
  it('starts a page at each form feed and wraps long lines at spaces', async () => {
    const pages = await read(`first page\fsecond ${'word '.repeat(30)}`);
    expect(pages.map((p) => p.page)).toEqual([1, 2]);
    expect(pages[0]!.lines.map((l) => l.text)).toEqual(['first page']);
    expect(pages[1]!.lines.every((l) => l.text.length <= 100)).toBe(true);
    expect(pages[1]!.lines).toHaveLength(2);
  });

  it('refuses more form-feed pages than maxPages with TOO_MANY_PAGES naming the file', async () => {
    await expect(read('\f'.repeat(100_000))).rejects.toMatchObject({
      code: 'TOO_MANY_PAGES',
      message: expect.stringMatching(/^notes\.txt: .*intake\.maxPages/),
    });
  });

  it('sets 150 000 short lines on pages of MAX_LINES_PER_TEXT_PAGE lines (no stack overflow)', async () => {
    const pages = await read('line\n'.repeat(150_000));
    expect(pages).toHaveLength(Math.ceil(150_000 / MAX_LINES_PER_TEXT_PAGE));
    expect(pages.reduce((n, p) => n + p.lines.length, 0)).toBe(150_000);
  });

  it('cuts one 20 MB line without spaces into 100-character lines, fast', async () => {
    const started = performance.now();
    const pages = await read('x'.repeat(20_000_000));
    expect(pages.reduce((n, p) => n + p.lines.length, 0)).toBe(200_000);
    expect(pages[0]!.lines[0]!.text).toHaveLength(100);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('counts line pages against maxPages too', async () => {
    await expect(read('line\n'.repeat(MAX_LINES_PER_TEXT_PAGE * 3), 2)).rejects.toMatchObject({
      code: 'TOO_MANY_PAGES',
    });
  });

  it('reads text that is not valid UTF-8, the bad bytes shown as U+FFFD', async () => {
    const bytes = new Uint8Array([...Buffer.from('caf'), 0xe9, ...Buffer.from(' au lait'), 0xff]);
    const pages = await read(bytes);
    expect(pages[0]!.lines[0]!.text).toBe('caf\uFFFD au lait\uFFFD');
  });
});
