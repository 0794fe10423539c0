import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openBlobStore, type BlobStore } from './blob-store.js';
import type { LibraryStore } from './library-store.js';
import { openSqliteLibraryStore } from './sqlite-library-store.js';

/** The document library under one home folder: the database and the blob folder. */
export interface Library {
  home: string;
  store: LibraryStore;
  blobs: BlobStore;
  close(): Promise<void>;
}

/** Path of the library database inside a DocSight home. */
export function libraryDatabasePath(home: string): string {
  return join(home, 'library', 'library.db');
}

/**
 * Opens (creating) the library under `home` (`<home>/library/library.db`, `<home>/library/blobs/`).
 *
 * @example
 *   const library = openLibrary(config.home);
 *   const docs = await library.store.listDocuments();
 */
export function openLibrary(home: string): Library {
  mkdirSync(join(home, 'library'), { recursive: true });
  const store = openSqliteLibraryStore(libraryDatabasePath(home));
  const blobs = openBlobStore(join(home, 'library', 'blobs'));
  return { home, store, blobs, close: () => store.close() };
}

/**
 * Deletes a document: its rows and index entries first (one transaction), then the blobs nothing
 * else references. A crash between the two leaves unreferenced files, never rows without files.
 */
export async function deleteDocument(library: Library, documentId: number): Promise<boolean> {
  const { deleted, orphanBlobs } = await library.store.deleteDocument(documentId);
  for (const sha of orphanBlobs) library.blobs.remove(sha);
  return deleted;
}

/**
 * Removes the blobs no row refers to — left by a file whose add or page write failed after its bytes
 * were stored, or by a crash between a delete's transaction and its file removals — and returns how many.
 * Blobs written in the last `graceMs` are kept: another process may be about to insert their row.
 *
 * @example
 *   await removeUnreferencedBlobs(library); // at ingestion start-up
 */
export async function removeUnreferencedBlobs(library: Library, graceMs = 3600_000): Promise<number> {
  const used = await library.store.referencedBlobs();
  const cutoff = Date.now() - graceMs;
  let removed = 0;
  for (const blob of library.blobs.list()) {
    if (used.has(blob.sha256) || blob.writtenAt > cutoff) continue;
    library.blobs.remove(blob.sha256);
    removed++;
  }
  return removed;
}

/** Removes one blob if no row refers to it (after a failed write that stored it). */
export async function removeBlobIfUnreferenced(library: Library, sha256: string): Promise<void> {
  if (!(await library.store.referencedBlobs()).has(sha256)) library.blobs.remove(sha256);
}
