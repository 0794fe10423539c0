import { basename } from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import { checkFileSize } from '../read/intake/limits.js';
import { readLocalFile } from '../read/intake/read-local-file.js';
import { DocSightError } from '../errors.js';
import { removeBlobIfUnreferenced, type Library } from '../store/library.js';
import type { DocumentRecord, JobRecord } from '../store/library-store.js';

export interface AddOptions {
  collection?: string;
  tags?: string[];
  /** Attempts before a job is marked failed (transient errors only). */
  maxAttempts?: number;
  /** Largest accepted file (config.intake.maxFileBytes). */
  maxFileBytes?: number;
}

export interface AddResult {
  document: DocumentRecord;
  /** The ingest job, or undefined when the same bytes are already in the library. */
  job: JobRecord | undefined;
  duplicate: boolean;
}

/**
 * The MIME type of some bytes: plain text when the name says .txt and the bytes hold no NUL (checked
 * first: signature sniffing mistakes some text for binary formats), else their signature. Text that is not
 * valid UTF-8 is still text: the reader shows the bad bytes as U+FFFD and reads the rest.
 */
export async function sniffMime(bytes: Uint8Array, name: string): Promise<string> {
  if (/\.(txt|text)$/i.test(name) && !bytes.includes(0)) return 'text/plain';
  const found = await fileTypeFromBuffer(bytes);
  return found ? found.mime : 'application/octet-stream';
}

/**
 * Stores a file's bytes (atomically, content-addressed), records the document and queues its ingest
 * job. The same bytes twice are one document: a second add returns the existing document and queues
 * nothing, unless its earlier ingestion failed or was cancelled (then it is queued again).
 *
 * @example
 *   const { document, job } = await addToLibrary(library, { path: 'scan.pdf' }, { collection: 'invoices' });
 */
export async function addToLibrary(
  library: Library,
  input: { path: string } | { bytes: Uint8Array; name: string },
  options: AddOptions = {},
): Promise<AddResult> {
  const name = 'path' in input ? basename(input.path) : input.name;
  let bytes: Uint8Array;
  if ('path' in input) {
    // Regular files only, size checked on the opened handle: a link to /dev/zero or a FIFO is refused.
    bytes = await readLocalFile(input.path, {
      maxFileBytes: options.maxFileBytes ?? Number.MAX_SAFE_INTEGER,
    });
  } else {
    bytes = input.bytes;
  }
  if (bytes.length === 0)
    throw new DocSightError('EMPTY_FILE', `${name} is empty (0 bytes). Send the file's contents.`);
  if (options.maxFileBytes !== undefined)
    checkFileSize(name, bytes.length, { maxFileBytes: options.maxFileBytes });
  // The blob is written (and fsynced) before any row refers to it.
  const mime = await sniffMime(bytes, name);
  const sha256 = library.blobs.put(bytes);
  let added;
  try {
    added = await library.store.addDocument({
      sha256,
      name,
      mime,
      sizeBytes: bytes.length,
      collection: options.collection,
      tags: options.tags,
    });
  } catch (err) {
    // No row refers to the bytes just stored (a full disk, a closed library): do not leave them behind.
    await removeBlobIfUnreferenced(library, sha256).catch(() => undefined);
    throw err;
  }
  const { document, created } = added;
  const maxAttempts = options.maxAttempts ?? 3;
  if (created) {
    return { document, job: await library.store.enqueueJob(document.id, { maxAttempts }), duplicate: false };
  }
  const active = (await library.store.listJobs({ states: ['queued', 'running'] })).find(
    (j) => j.documentId === document.id,
  );
  if (active) return { document, job: active, duplicate: true };
  if (document.status !== 'ready') {
    return { document, job: await library.store.enqueueJob(document.id, { maxAttempts }), duplicate: true };
  }
  return { document, job: undefined, duplicate: true };
}
