import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { readLocalFile } from './read-local-file.js';

const limits = { maxFileBytes: 1024 };

describe('readLocalFile', () => {
  const tempDir = useTempDirs('docsight-local-file-');
  let base: string | undefined;
  const dir = (): string => (base ??= tempDir());

  it('reads a regular file whole', async () => {
    const path = join(dir(), 'a.txt');
    writeFileSync(path, 'hello');
    expect(Buffer.from(await readLocalFile(path, limits)).toString()).toBe('hello');
  });

  it('refuses what is not a regular file, with a code and the path', async () => {
    const folder = join(dir(), 'folder');
    mkdirSync(folder);
    await expect(readLocalFile(folder, limits)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(readLocalFile(join(dir(), 'missing.png'), limits)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    // A link to an endless device, and a FIFO nobody writes to: refused at once, not read or waited on.
    const zero = join(dir(), 'zero.png');
    symlinkSync('/dev/zero', zero);
    await expect(readLocalFile(zero, limits)).rejects.toThrow(/not a regular file/);
    const fifo = join(dir(), 'pipe.pdf');
    execFileSync('mkfifo', [fifo]);
    await expect(readLocalFile(fifo, limits)).rejects.toThrow(/not a regular file/);
  });

  it('checks size on the handle: empty and oversize files are refused before reading', async () => {
    const empty = join(dir(), 'empty.png');
    writeFileSync(empty, '');
    await expect(readLocalFile(empty, limits)).rejects.toMatchObject({ code: 'EMPTY_FILE' });
    const big = join(dir(), 'big.png');
    writeFileSync(big, Buffer.alloc(2048));
    await expect(readLocalFile(big, limits)).rejects.toMatchObject({ code: 'FILE_TOO_LARGE' });
  });
});
