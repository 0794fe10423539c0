import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DocSightError } from '../errors.js';

/**
 * Content-addressed files (originals, page renders) under `<home>/blobs/ab/cdef…`.
 * The name is the sha256 of the bytes, so the same bytes are stored once and a name never
 * changes meaning. Writes go to a temporary file that is fsynced and renamed into place: a crash
 * or a full disk leaves either the whole blob or nothing, never half a file under a real name.
 */
export interface BlobStore {
  /** Stores `bytes` (if not already there) and returns their sha256 (hex). */
  put(bytes: Uint8Array): string;
  /**
   * Stores what `chunks` yield without holding it in memory: hashed while written to a temporary file, which
   * is fsynced and renamed into place (or dropped when the blob is already there). An error thrown by
   * `chunks` (a size limit, a client gone) leaves nothing behind and is thrown again.
   *
   * @example
   *   const { sha256, sizeBytes } = await blobs.putStream(createReadStream(upload));
   */
  putStream(chunks: AsyncIterable<Uint8Array>): Promise<{ sha256: string; sizeBytes: number }>;
  /**
   * Moves a file no one else writes (an upload's temporary file) into the store: hashed as it is read, each
   * chunk shown to `observe` (valid during the call only; throwing refuses the file), fsynced and renamed into
   * place, so it is not copied when it is on the blob folder's file system. The file is gone afterwards
   * (moved, or removed when the blob was already there); when anything throws it is left where it was.
   *
   * @example
   *   const { sha256 } = await blobs.putFile(uploadTempPath, { observe: (chunk) => sniffer.see(chunk) });
   */
  putFile(
    path: string,
    options?: { observe?(chunk: Uint8Array): void },
  ): Promise<{ sha256: string; sizeBytes: number }>;
  /** The bytes of a blob; NOT_FOUND when absent. */
  get(sha256: string): Promise<Buffer>;
  /** The file path of a blob (it may not exist). */
  pathOf(sha256: string): string;
  has(sha256: string): boolean;
  /** Removes a blob; absent blobs are ignored. */
  remove(sha256: string): void;
  /** Every stored blob with its last write (a `put` of bytes already there counts as one), ms. */
  list(): { sha256: string; writtenAt: number }[];
}

/**
 * A process killed while writing a blob leaves its temporary file behind; remove those older than an
 * hour (younger ones may belong to another process writing right now).
 */
function removeStaleTemporaries(dir: string): void {
  const cutoff = Date.now() - 3600_000;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      if (statSync(path).mtimeMs < cutoff) rmSync(path, { force: true });
    } catch {
      // Gone already (another process cleaned it): nothing to do.
    }
  }
}

/** The sha256 (hex) of some bytes, the identity of a document. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Opens (creating) the blob folder at `root`.
 *
 * @example
 *   const blobs = openBlobStore('/data/docsight/blobs');
 *   const id = blobs.put(fileBytes);
 */
export function openBlobStore(root: string): BlobStore {
  mkdirSync(join(root, 'tmp'), { recursive: true });
  removeStaleTemporaries(join(root, 'tmp'));
  const pathOf = (sha: string): string => {
    if (!/^[0-9a-f]{64}$/.test(sha)) throw new DocSightError('BAD_REQUEST', `Not a sha256 blob id: ${sha}`);
    return join(root, sha.slice(0, 2), sha.slice(2));
  };
  const has = (sha: string): boolean => {
    try {
      return statSync(pathOf(sha)).isFile();
    } catch {
      return false;
    }
  };
  // Marks a blob as just written, so a sweep of unreferenced blobs does not take it before its row exists.
  const touch = (sha: string): void => {
    const now = new Date();
    utimesSync(pathOf(sha), now, now);
  };
  const diskFull = (err: unknown): unknown => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOSPC' && code !== 'EDQUOT') return err;
    return new DocSightError(
      'DISK_FULL',
      `No space left to store a file in ${root}. Free some disk space and retry.`,
      { cause: err },
    );
  };
  const store: BlobStore = {
    pathOf,
    has,
    async putFile(path, options = {}) {
      const hash = createHash('sha256');
      let sizeBytes = 0;
      const file = await open(path, 'r+');
      try {
        const buffer = Buffer.allocUnsafe(1024 * 1024);
        for (;;) {
          const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) break;
          const chunk = buffer.subarray(0, bytesRead);
          options.observe?.(chunk);
          hash.update(chunk);
          sizeBytes += bytesRead;
        }
        await file.sync();
      } finally {
        await file.close();
      }
      const sha = hash.digest('hex');
      if (has(sha)) {
        touch(sha);
        await rm(path, { force: true });
        return { sha256: sha, sizeBytes };
      }
      try {
        mkdirSync(dirname(pathOf(sha)), { recursive: true });
        await rename(path, pathOf(sha));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw diskFull(err);
        // Another file system: copy it in (hashed again as it is written), then let the original go.
        const copied = await store.putStream(createReadStream(path));
        if (copied.sha256 !== sha) {
          throw new DocSightError('INTERNAL', `${path} changed while it was stored; send it again.`);
        }
        await rm(path, { force: true });
      }
      return { sha256: sha, sizeBytes };
    },
    async putStream(chunks) {
      const temp = join(root, 'tmp', `stream.${randomBytes(6).toString('hex')}`);
      const hash = createHash('sha256');
      let sizeBytes = 0;
      try {
        const file = await open(temp, 'wx', 0o600);
        try {
          for await (const chunk of chunks) {
            hash.update(chunk);
            sizeBytes += chunk.length;
            let off = 0;
            while (off < chunk.length) off += (await file.write(chunk, off, chunk.length - off)).bytesWritten;
          }
          await file.sync();
        } finally {
          await file.close();
        }
        const sha = hash.digest('hex');
        if (has(sha)) {
          await rm(temp, { force: true });
          touch(sha);
        } else {
          mkdirSync(dirname(pathOf(sha)), { recursive: true });
          await rename(temp, pathOf(sha));
        }
        return { sha256: sha, sizeBytes };
      } catch (err) {
        await rm(temp, { force: true });
        throw diskFull(err);
      }
    },
    put(bytes) {
      const sha = sha256Hex(bytes);
      if (has(sha)) {
        touch(sha);
        return sha;
      }
      const target = pathOf(sha);
      const temp = join(root, 'tmp', `${sha}.${randomBytes(6).toString('hex')}`);
      try {
        mkdirSync(dirname(target), { recursive: true });
        const fd = openSync(temp, 'w');
        try {
          let off = 0;
          while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(temp, target);
      } catch (err) {
        rmSync(temp, { force: true });
        throw diskFull(err);
      }
      return sha;
    },
    async get(sha) {
      try {
        return await readFile(pathOf(sha));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new DocSightError('NOT_FOUND', `Blob ${sha} is missing from ${root}.`);
        }
        throw err;
      }
    },
    remove(sha) {
      rmSync(pathOf(sha), { force: true });
    },
    list() {
      const out: { sha256: string; writtenAt: number }[] = [];
      for (const prefix of readdirSync(root)) {
        if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
        for (const rest of readdirSync(join(root, prefix))) {
          const sha256 = prefix + rest;
          if (!/^[0-9a-f]{64}$/.test(sha256)) continue;
          try {
            out.push({ sha256, writtenAt: statSync(join(root, prefix, rest)).mtimeMs });
          } catch {
            // Removed meanwhile.
          }
        }
      }
      return out;
    },
  };
  return store;
}
