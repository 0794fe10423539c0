import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandInputPaths, globToRegExp } from './expand-paths.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'docsight-paths-'));
  mkdirSync(join(root, 'a/b'), { recursive: true });
  mkdirSync(join(root, '.hidden'));
  for (const f of ['x.pdf', 'a/y.png', 'a/b/z.pdf', 'a/notes.md', '.hidden/h.pdf'])
    writeFileSync(join(root, f), 'x');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('expandInputPaths', () => {
  it('walks folders recursively, keeping documents and skipping hidden entries', async () => {
    expect(await expandInputPaths([root])).toEqual(
      ['a/b/z.pdf', 'a/y.png', 'x.pdf'].map((f) => join(root, f)),
    );
  });

  it('expands globs, with ** crossing folders', async () => {
    expect(await expandInputPaths([join(root, '**/*.pdf')])).toEqual(
      ['.hidden/h.pdf', 'a/b/z.pdf', 'x.pdf'].filter((f) => !f.startsWith('.')).map((f) => join(root, f)),
    );
    expect(await expandInputPaths([join(root, 'a/*.png')])).toEqual([join(root, 'a/y.png')]);
  });

  it('takes a named file whatever its type, once', async () => {
    const md = join(root, 'a/notes.md');
    expect(await expandInputPaths([md, md])).toEqual([md]);
  });

  it('says which input matched nothing', async () => {
    await expect(expandInputPaths([join(root, 'nope.pdf')])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(expandInputPaths([join(root, '*.tiff')])).rejects.toThrow(/no documents found/);
  });
});

describe('globToRegExp', () => {
  it('keeps * within one folder name', () => {
    expect(globToRegExp('/d/*.pdf').test('/d/a.pdf')).toBe(true);
    expect(globToRegExp('/d/*.pdf').test('/d/e/a.pdf')).toBe(false);
  });

  it('follows links that stay inside the folder, not those that leave it, unless asked', async () => {
    const top = mkdtempSync(join(tmpdir(), 'docsight-links-'));
    const outside = mkdtempSync(join(tmpdir(), 'docsight-outside-'));
    try {
      mkdirSync(join(top, 'docs'));
      writeFileSync(join(top, 'docs/in.txt'), 'x');
      writeFileSync(join(outside, 'secret.txt'), 'x');
      symlinkSync(join(outside, 'secret.txt'), join(top, 'passwd.txt'));
      symlinkSync(outside, join(top, 'elsewhere'));
      symlinkSync(join(top, 'docs/in.txt'), join(top, 'alias.txt'));
      symlinkSync(top, join(top, 'docs/loop')); // a loop back to the top
      expect(await expandInputPaths([top])).toEqual([join(top, 'alias.txt'), join(top, 'docs/in.txt')]);
      expect(await expandInputPaths([top], { followLinks: true })).toEqual([
        join(top, 'alias.txt'),
        join(top, 'docs/in.txt'),
        join(top, 'elsewhere/secret.txt'),
        join(top, 'passwd.txt'),
      ]);
    } finally {
      rmSync(top, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
