import { stat } from 'node:fs/promises';
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
  return mimeOf(bytes, name, bytes.includes(0));
}

async function mimeOf(head: Uint8Array, name: string, hasNul: boolean): Promise<string> {
  if (/\.(txt|text)$/i.test(name) && !hasNul) return 'text/plain';
  const found = await fileTypeFromBuffer(head);
  return found ? found.mime : 'application/octet-stream';
}

/** The first bytes kept of a streamed file for sniffing its type (file-type reads ~4 KiB; some formats further). */
const SNIFF_BYTES = 64 * 1024;

/**
 * What sniffing a file's type needs, noted from its chunks as they pass (its first bytes, whether any byte is
 * NUL), so a large file's type is known without holding it in memory.
 */
function chunkSniffer(name: string): { see(chunk: Uint8Array): void; mime(): Promise<string> } {
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let hasNul = false;
  return {
    see(chunk) {
      if (headBytes < SNIFF_BYTES) {
        const part = chunk.slice(0, SNIFF_BYTES - headBytes);
        head.push(part);
        headBytes += part.length;
      }
      hasNul ||= chunk.includes(0);
    },
    mime: () => mimeOf(Buffer.concat(head), name, hasNul),
  };
}

/** Stores a stream of a file's bytes in the blob store as they come, enforcing the size limit as it grows. */
async function storeStream(
  library: Library,
  name: string,
  chunks: AsyncIterable<Uint8Array>,
  maxFileBytes: number,
): Promise<{ sha256: string; sizeBytes: number; mime: string }> {
  const sniffer = chunkSniffer(name);
  async function* observed(): AsyncGenerator<Uint8Array> {
    let size = 0;
    for await (const chunk of chunks) {
      size += chunk.length;
      checkFileSize(name, size, { maxFileBytes });
      sniffer.see(chunk);
      yield chunk;
    }
    if (size === 0) throw emptyFile(name);
  }
  const { sha256, sizeBytes } = await library.blobs.putStream(observed());
  return { sha256, sizeBytes, mime: await sniffer.mime() };
}

/** Moves a temporary file into the blob store (no copy on the same file system), checked and sniffed on the way. */
async function storeTemporaryFile(
  library: Library,
  name: string,
  path: string,
  maxFileBytes: number,
): Promise<{ sha256: string; sizeBytes: number; mime: string }> {
  const { size } = await stat(path);
  if (size === 0) throw emptyFile(name);
  checkFileSize(name, size, { maxFileBytes });
  const sniffer = chunkSniffer(name);
  const { sha256, sizeBytes } = await library.blobs.putFile(path, { observe: (chunk) => sniffer.see(chunk) });
  return { sha256, sizeBytes, mime: await sniffer.mime() };
}

const emptyFile = (name: string): DocSightError =>
  new DocSightError('EMPTY_FILE', `${name} is empty (0 bytes). Send the file's contents.`);

/**
 * Stores a file's bytes (atomically, content-addressed), records the document and queues its ingest
 * job. A `stream` input is stored as it comes (never whole in memory), its size checked as it grows; a
 * `temporaryFile` (an upload's, which no one else writes) is moved into the blob store and is gone afterwards
 * unless this throws. Neither is ever whole in memory. The same
 * bytes twice in one collection are one document: a second add returns the existing document and queues
 * nothing, unless its earlier ingestion failed or was cancelled (then it is queued again).
 *
 * @example
 *   const { document, job } = await addToLibrary(library, { path: 'scan.pdf' }, { collection: 'invoices' });
 */
export async function addToLibrary(
  library: Library,
  input:
    | { path: string }
    | { bytes: Uint8Array; name: string }
    | { stream: AsyncIterable<Uint8Array>; name: string }
    | { temporaryFile: string; name: string },
  options: AddOptions = {},
): Promise<AddResult> {
  const name = 'path' in input ? basename(input.path) : input.name;
  const maxFileBytes = options.maxFileBytes ?? Number.MAX_SAFE_INTEGER;
  // The blob is written (and fsynced) before any row refers to it.
  let stored: { sha256: string; sizeBytes: number; mime: string };
  if ('stream' in input) {
    stored = await storeStream(library, name, input.stream, maxFileBytes);
  } else if ('temporaryFile' in input) {
    stored = await storeTemporaryFile(library, name, input.temporaryFile, maxFileBytes);
  } else {
    let bytes: Uint8Array;
    if ('path' in input) {
      // Regular files only, size checked on the opened handle: a link to /dev/zero or a FIFO is refused.
      bytes = await readLocalFile(input.path, {
        maxFileBytes: options.maxFileBytes ?? Number.MAX_SAFE_INTEGER,
      });
    } else {
      bytes = input.bytes;
    }
    if (bytes.length === 0) throw emptyFile(name);
    if (options.maxFileBytes !== undefined)
      checkFileSize(name, bytes.length, { maxFileBytes: options.maxFileBytes });
    const mime = await sniffMime(bytes, name);
    stored = { sha256: library.blobs.put(bytes), sizeBytes: bytes.length, mime };
  }
  const { sha256, sizeBytes, mime } = stored;
  let added;
  try {
    added = await library.store.addDocument({
      sha256,
      name,
      mime,
      sizeBytes,
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
