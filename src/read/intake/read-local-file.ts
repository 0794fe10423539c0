import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { DocSightError } from '../../errors.js';
import { checkFileSize } from './limits.js';

/**
 * The one way a file named on this machine (a CLI argument, a folder being ingested) becomes bytes.
 *
 * Everything is checked on the opened handle, not on the path, so a path swapped between a check and the
 * read cannot slip past: only regular files are read (a link to `/dev/zero` or a FIFO is refused, and the
 * FIFO is opened non-blocking so refusing it cannot hang), the size limit is checked before reading, and
 * the read stops at the size the handle reported plus one byte, so a file that grows while it is read
 * cannot push past the limit either. The HTTP API never calls this: its inputs are uploads, never paths.
 *
 * @example
 *   const bytes = await readLocalFile('scan.pdf', config.intake);
 */
export async function readLocalFile(path: string, limits: { maxFileBytes: number }): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DocSightError('NOT_FOUND', `${path}: no such file. Check the path.`);
    if (code === 'EACCES' || code === 'EPERM')
      throw new DocSightError('BAD_REQUEST', `${path}: permission denied.`);
    if (code === 'EISDIR') throw new DocSightError('BAD_REQUEST', `${path} is a folder; give a file.`);
    throw new DocSightError('BAD_REQUEST', `${path}: cannot open the file (${(err as Error).message}).`, {
      cause: err,
    });
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw new DocSightError('BAD_REQUEST', `${path} is a folder; give a file.`);
    if (!info.isFile()) {
      throw new DocSightError(
        'BAD_REQUEST',
        `${path} is not a regular file (a device, pipe or socket); give a document file.`,
      );
    }
    if (info.size === 0)
      throw new DocSightError('EMPTY_FILE', `${path} is empty (0 bytes). Check that the copy finished.`);
    checkFileSize(path, info.size, limits);
    // One byte more than reported: a file that grew since fstat is noticed instead of silently cut.
    const buffer = new Uint8Array(info.size + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > info.size) {
      throw new DocSightError(
        'BAD_REQUEST',
        `${path} changed while it was read; try again once it is complete.`,
      );
    }
    return buffer.subarray(0, filled);
  } catch (err) {
    if (err instanceof DocSightError) throw err;
    throw new DocSightError('BAD_REQUEST', `${path}: cannot read the file (${(err as Error).message}).`, {
      cause: err,
    });
  } finally {
    await handle.close();
  }
}
