import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DocSightError, isDocSightError } from '../errors.js';
import { openBlobStore, sha256Hex } from './blob-store.js';

const MiB = 1024 * 1024;
const dirs: string[] = [];
function tempRoot(): string {
  const d = mkdtempSync(join(tmpdir(), 'docsight-blobs-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('openBlobStore', () => {
  it('stores bytes under their sha256 and reads them back', async () => {
    const blobs = openBlobStore(tempRoot());
    const bytes = new TextEncoder().encode('hello');
    const id = blobs.put(bytes);
    expect(id).toBe(sha256Hex(bytes));
    expect(id).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    expect((await blobs.get(id)).toString()).toBe('hello');
  });

  it('stores the same bytes once and leaves no temporary files', () => {
    const root = tempRoot();
    const blobs = openBlobStore(root);
    const a = blobs.put(new Uint8Array([1, 2, 3]));
    const b = blobs.put(new Uint8Array([1, 2, 3]));
    expect(a).toBe(b);
    expect(readdirSync(join(root, a.slice(0, 2)))).toEqual([a.slice(2)]);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });

  it('stores a stream under the sha256 of all its chunks, once, leaving no temporary files', async () => {
    const root = tempRoot();
    const blobs = openBlobStore(root);
    async function* chunks() {
      yield new TextEncoder().encode('hel');
      yield new TextEncoder().encode('lo');
    }
    const first = await blobs.putStream(chunks());
    expect(first).toEqual({ sha256: sha256Hex(new TextEncoder().encode('hello')), sizeBytes: 5 });
    expect((await blobs.get(first.sha256)).toString()).toBe('hello');
    expect(await blobs.putStream(chunks())).toEqual(first);
    expect(blobs.list().map((b) => b.sha256)).toEqual([first.sha256]);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });

  it('leaves nothing behind when a stream fails part-way, and throws its error', async () => {
    const root = tempRoot();
    const blobs = openBlobStore(root);
    async function* broken() {
      yield new Uint8Array(1000);
      throw new DocSightError('FILE_TOO_LARGE', 'too large');
    }
    await expect(blobs.putStream(broken())).rejects.toSatisfy((e) => isDocSightError(e, 'FILE_TOO_LARGE'));
    expect(blobs.list()).toEqual([]);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });

  it('moves a file into the store without copying it, and drops it when the blob is already there', async () => {
    const root = tempRoot();
    const blobs = openBlobStore(root);
    const outside = tempRoot();
    const first = join(outside, 'upload-1');
    writeFileSync(first, 'x'.repeat(3 * 1024 * 1024));
    const inode = statSync(first).ino;
    let seen = 0;
    const stored = await blobs.putFile(first, { observe: (chunk) => (seen += chunk.length) });
    expect(stored).toEqual({
      sha256: sha256Hex(readFileSync(blobs.pathOf(stored.sha256))),
      sizeBytes: 3 * MiB,
    });
    expect(seen).toBe(3 * MiB);
    expect(statSync(blobs.pathOf(stored.sha256)).ino).toBe(inode);
    expect(readdirSync(outside)).toEqual([]);
    const second = join(outside, 'upload-2');
    writeFileSync(second, 'x'.repeat(3 * 1024 * 1024));
    expect(await blobs.putFile(second)).toEqual(stored);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('leaves a file where it was when its observer refuses it', async () => {
    const blobs = openBlobStore(tempRoot());
    const path = join(tempRoot(), 'upload');
    writeFileSync(path, 'refused');
    const refuse = () => {
      throw new DocSightError('UNSUPPORTED_TYPE', 'no');
    };
    await expect(blobs.putFile(path, { observe: refuse })).rejects.toMatchObject({
      code: 'UNSUPPORTED_TYPE',
    });
    expect(readFileSync(path, 'utf8')).toBe('refused');
    expect(blobs.list()).toEqual([]);
  });

  it('removes blobs and reports a missing one as NOT_FOUND', async () => {
    const blobs = openBlobStore(tempRoot());
    const id = blobs.put(new Uint8Array([9]));
    blobs.remove(id);
    expect(blobs.has(id)).toBe(false);
    await expect(blobs.get(id)).rejects.toSatisfy((e) => isDocSightError(e, 'NOT_FOUND'));
  });

  it('cleans up temporary files a killed process left, but not fresh ones', () => {
    const root = tempRoot();
    mkdirSync(join(root, 'tmp'));
    writeFileSync(join(root, 'tmp', 'old'), 'x');
    writeFileSync(join(root, 'tmp', 'fresh'), 'x');
    const twoHoursAgo = new Date(Date.now() - 7200_000);
    utimesSync(join(root, 'tmp', 'old'), twoHoursAgo, twoHoursAgo);
    openBlobStore(root);
    expect(readdirSync(join(root, 'tmp'))).toEqual(['fresh']);
  });

  it('rejects names that are not sha256 ids, so no path can escape the folder', () => {
    const blobs = openBlobStore(tempRoot());
    expect(() => blobs.pathOf('../../etc/passwd')).toThrow(/Not a sha256/);
  });
});
