import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { searchTerms } from '../text/search-terms.js';
import type { PageText } from '../read/types.js';
import {
  deleteDocument,
  libraryDatabasePath,
  openLibrary,
  removeUnreferencedBlobs,
  type Library,
} from './library.js';
import { openSqliteLibraryStore } from './sqlite-library-store.js';
import { MIGRATIONS } from './sqlite-migrations.js';

const open: Library[] = [];
const dirs: string[] = [];
function tempLibrary(): Library {
  const home = mkdtempSync(join(tmpdir(), 'docsight-store-'));
  dirs.push(home);
  const lib = openLibrary(home);
  open.push(lib);
  return lib;
}
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function page(n: number, texts: string[]): PageText {
  return {
    page: n,
    width: 1000,
    height: 1000,
    source: 'ocr',
    lines: texts.map((text, i) => ({
      text,
      box: [0, i * 20, 500, i * 20, 500, i * 20 + 18, 0, i * 20 + 18],
      confidence: 0.9,
    })),
  };
}

function chunkOf(p: PageText) {
  const text = p.lines.map((l) => l.text).join('\n');
  return { firstLine: 0, lastLine: p.lines.length - 1, text, terms: searchTerms(text).join(' ') };
}

async function addDoc(lib: Library, content: string, extra: { collection?: string; tags?: string[] } = {}) {
  const sha256 = lib.blobs.put(new TextEncoder().encode(content));
  return lib.store.addDocument({
    sha256,
    name: `${content}.txt`,
    mime: 'text/plain',
    sizeBytes: content.length,
    ...extra,
  });
}

describe('SQLite library store', () => {
  it('creates a WAL database with the schema migrated', () => {
    const lib = tempLibrary();
    const db = new Database(libraryDatabasePath(lib.home), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });

  it('treats the same bytes twice as one document', async () => {
    const lib = tempLibrary();
    const a = await addDoc(lib, 'same');
    const b = await addDoc(lib, 'same');
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.document.id).toBe(a.document.id);
    expect(await lib.store.listDocuments()).toHaveLength(1);
  });

  it('rewrites a page in place: writing it twice leaves one copy and one index entry', async () => {
    const lib = tempLibrary();
    const { document } = await addDoc(lib, 'doc');
    const job = await lib.store.enqueueJob(document.id, { maxAttempts: 3 });
    const p = page(1, ['Invoice 2018-02-12', 'Total 112.45']);
    await lib.store.writePage({ jobId: job.id, documentId: document.id, page: p, chunks: [chunkOf(p)] });
    await lib.store.writePage({ jobId: job.id, documentId: document.id, page: p, chunks: [chunkOf(p)] });
    expect((await lib.store.stats()).pages).toBe(1);
    expect((await lib.store.stats()).chunks).toBe(1);
    expect(await lib.store.searchChunks({ terms: ['112.45'], match: 'all' }, {}, 10)).toHaveLength(1);
    expect((await lib.store.getJob(job.id))!.pagesDone).toBe(1);
    const stored = await lib.store.getPage(document.id, 1);
    expect(stored!.lines.map((l) => l.text)).toEqual(['Invoice 2018-02-12', 'Total 112.45']);
    expect(stored!.lines[1]!.box).toEqual([0, 20, 500, 20, 500, 38, 0, 38]);
    expect(await lib.store.checkIntegrity()).toBe('ok');
  });

  it('deletes a document with its rows, index entries and blobs', async () => {
    const lib = tempLibrary();
    const { document } = await addDoc(lib, 'to delete');
    const image = lib.blobs.put(new Uint8Array([1, 2, 3]));
    const p = page(1, ['unique-word zebra']);
    await lib.store.writePage({
      jobId: null,
      documentId: document.id,
      page: p,
      chunks: [chunkOf(p)],
      imageSha256: image,
    });
    expect(await lib.store.searchChunks({ terms: ['zebra'], match: 'all' }, {}, 10)).toHaveLength(1);
    expect(await deleteDocument(lib, document.id)).toBe(true);
    expect(await lib.store.searchChunks({ terms: ['zebra'], match: 'all' }, {}, 10)).toHaveLength(0);
    expect(await lib.store.stats()).toMatchObject({ documents: 0, pages: 0, chunks: 0 });
    expect(lib.blobs.has(document.sha256)).toBe(false);
    expect(lib.blobs.has(image)).toBe(false);
    expect(await lib.store.checkIntegrity()).toBe('ok');
    expect(await deleteDocument(lib, document.id)).toBe(false);
  });

  it('filters search by collection, type, tags and ingestion date', async () => {
    const lib = tempLibrary();
    const a = (await addDoc(lib, 'a', { collection: 'receipts', tags: ['2018', 'food'] })).document;
    const b = (await addDoc(lib, 'b', { collection: 'contracts', tags: ['2018'] })).document;
    for (const d of [a, b]) {
      const p = page(1, ['shared word apple']);
      await lib.store.writePage({ jobId: null, documentId: d.id, page: p, chunks: [chunkOf(p)] });
    }
    const ids = async (filters: object) =>
      (await lib.store.searchChunks({ terms: ['appl'], match: 'all' }, filters, 10))
        .map((h) => h.documentId)
        .sort();
    expect(await ids({})).toEqual([a.id, b.id]);
    expect(await ids({ collection: 'receipts' })).toEqual([a.id]);
    expect(await ids({ tags: ['2018', 'food'] })).toEqual([a.id]);
    expect(await ids({ tags: ['2018'] })).toEqual([a.id, b.id]);
    expect(await ids({ type: 'text/' })).toEqual([a.id, b.id]);
    expect(await ids({ type: 'application/pdf' })).toEqual([]);
    expect(await ids({ documentId: b.id })).toEqual([b.id]);
    expect(await ids({ ingestedFrom: Date.now() + 60_000 })).toEqual([]);
    // An API key's scope: only its collections, and an empty scope matches nothing rather than everything.
    expect(await ids({ collections: ['receipts', 'elsewhere'] })).toEqual([a.id]);
    expect(await ids({ collections: [] })).toEqual([]);
    expect(await ids({ collections: ['receipts'], documentId: b.id })).toEqual([]);
  });

  it('lists documents by collection scope, tag, status, type and date, a page at a time', async () => {
    const lib = tempLibrary();
    const a = (await addDoc(lib, 'a', { collection: 'receipts', tags: ['2018'] })).document;
    const b = (await addDoc(lib, 'b', { collection: 'contracts', tags: ['2018', 'signed'] })).document;
    const c = (await addDoc(lib, 'c')).document;
    await lib.store.setDocumentStatus(b.id, 'ready', { pageCount: 1 });
    const ids = async (filters: object) => (await lib.store.listDocuments(filters)).map((d) => d.id);
    expect(await ids({})).toEqual([a.id, b.id, c.id]);
    expect(await ids({ collection: 'contracts' })).toEqual([b.id]);
    expect(await ids({ collections: ['receipts', 'contracts'] })).toEqual([a.id, b.id]);
    expect(await ids({ collections: [] })).toEqual([]);
    expect(await ids({ tags: ['2018'] })).toEqual([a.id, b.id]);
    expect(await ids({ status: 'ready' })).toEqual([b.id]);
    expect(await ids({ status: 'pending', collections: ['contracts'] })).toEqual([]);
    expect(await ids({ type: 'text/plain' })).toEqual([a.id, b.id, c.id]);
    expect(await ids({ ingestedTo: 0 })).toEqual([]);
    expect(await ids({ limit: 1, offset: 1 })).toEqual([b.id]);
  });

  it('lists jobs of the given collections only', async () => {
    const lib = tempLibrary();
    const a = (await addDoc(lib, 'a', { collection: 'receipts' })).document;
    const b = (await addDoc(lib, 'b', { collection: 'contracts' })).document;
    const c = (await addDoc(lib, 'c')).document;
    const jobs = [];
    for (const d of [a, b, c]) jobs.push(await lib.store.enqueueJob(d.id, { maxAttempts: 1 }));
    const ids = async (collections?: string[]) =>
      (await lib.store.listJobs({ collections })).map((j) => j.documentId);
    expect(await ids()).toEqual([c.id, b.id, a.id]);
    expect(await ids(['receipts'])).toEqual([a.id]);
    expect(await ids([])).toEqual([]);
  });

  it('queues, claims, retries and cancels jobs', async () => {
    const lib = tempLibrary();
    const { document } = await addDoc(lib, 'job');
    const job = await lib.store.enqueueJob(document.id, { maxAttempts: 3 });
    const claimed = await lib.store.claimNextJob(Date.now(), 60_000);
    expect(claimed).toMatchObject({ id: job.id, state: 'running', attempts: 1, documentName: 'job.txt' });
    expect(await lib.store.claimNextJob(Date.now(), 60_000)).toBeUndefined();
    await lib.store.finishJob(job.id, {
      state: 'queued',
      error: 'x',
      errorCode: 'BUSY',
      retryAt: Date.now() + 60_000,
    });
    expect(await lib.store.claimNextJob(Date.now(), 60_000)).toBeUndefined(); // not before its retry time
    expect((await lib.store.claimNextJob(Date.now() + 61_000, 60_000))!.attempts).toBe(2);
    expect((await lib.store.cancelJob(job.id))!.state).toBe('cancelled');
    await lib.store.finishJob(job.id, { state: 'done' }); // a late worker report does not undo the cancel
    expect((await lib.store.getJob(job.id))!.state).toBe('cancelled');
  });

  it('lets another worker take a running job only once its lease has run out', async () => {
    const lib = tempLibrary();
    const { document } = await addDoc(lib, 'crash');
    const job = await lib.store.enqueueJob(document.id, { maxAttempts: 3 });
    const t = Date.now();
    await lib.store.claimNextJob(t, 1000);
    expect(await lib.store.claimNextJob(t + 500, 1000)).toBeUndefined(); // its worker is alive
    expect(await lib.store.renewLease(job.id, t + 2000)).toBe(true);
    expect(await lib.store.claimNextJob(t + 1500, 1000)).toBeUndefined(); // renewed
    expect((await lib.store.claimNextJob(t + 2500, 1000))!.attempts).toBe(2); // its worker died
  });

  it('puts running jobs whose lease ran out back in the queue, and leaves live ones', async () => {
    const lib = tempLibrary();
    const a = (await addDoc(lib, 'dead')).document;
    const b = (await addDoc(lib, 'alive')).document;
    const dead = await lib.store.enqueueJob(a.id, { maxAttempts: 3 });
    await lib.store.enqueueJob(b.id, { maxAttempts: 3 });
    await lib.store.claimNextJob(Date.now(), 60_000);
    await lib.store.claimNextJob(Date.now(), 60_000);
    await lib.store.renewLease(dead.id, Date.now() - 9000); // as if its worker stopped renewing 9 s ago
    expect(await lib.store.requeueInterruptedJobs()).toBe(1);
    expect((await lib.store.listJobs({ states: ['queued'] })).map((j) => j.documentName)).toEqual([
      'dead.txt',
    ]);
  });

  it('counts each re-claim after a lost lease as an attempt, and fails the job when none is left', async () => {
    const lib = tempLibrary();
    const { document } = await addDoc(lib, 'poison');
    const job = await lib.store.enqueueJob(document.id, { maxAttempts: 3 });
    let t = Date.now();
    // Three processes each take the job and die holding it (their leases run out).
    for (let attempt = 1; attempt <= 3; attempt++) {
      const claimed = await lib.store.claimNextJob(t, 1000);
      expect(claimed).toMatchObject({ id: job.id, attempts: attempt });
      t += 1500;
    }
    // A fourth finds no attempt left: the job fails with its reason, and so does its document.
    expect(await lib.store.claimNextJob(t, 1000)).toBeUndefined();
    const failed = (await lib.store.getJob(job.id))!;
    expect(failed).toMatchObject({ state: 'failed', attempts: 3, errorCode: 'ENGINE_FAILED' });
    expect(failed.error).toMatch(/stopped \(killed or crashed\) 3 time/);
    expect(await lib.store.getDocument(document.id)).toMatchObject({ status: 'failed' });
  });

  it('fails, at start-up, a job left running on its last attempt instead of queueing it again', async () => {
    const lib = tempLibrary();
    const { document } = await addDoc(lib, 'last');
    const job = await lib.store.enqueueJob(document.id, { maxAttempts: 1 });
    await lib.store.claimNextJob(Date.now(), 60_000);
    await lib.store.renewLease(job.id, Date.now() - 9000);
    expect(await lib.store.requeueInterruptedJobs()).toBe(0);
    expect((await lib.store.getJob(job.id))!.state).toBe('failed');
  });

  it('gives the attempt back to a job handed back at shutdown', async () => {
    const lib = tempLibrary();
    const { document } = await addDoc(lib, 'stopped');
    const job = await lib.store.enqueueJob(document.id, { maxAttempts: 1 });
    for (let i = 0; i < 3; i++) {
      expect(await lib.store.claimNextJob(Date.now(), 60_000)).toMatchObject({ attempts: 1 });
      await lib.store.finishJob(job.id, {
        state: 'queued',
        error: 'Interrupted by shutdown.',
        errorCode: 'CANCELLED',
        retryAt: 0,
        interrupted: true,
      });
    }
  });

  it('sweeps blobs no row refers to, keeping referenced and freshly written ones', async () => {
    const lib = tempLibrary();
    const { document } = await addDoc(lib, 'kept');
    const orphan = lib.blobs.put(new TextEncoder().encode('bytes of a file whose add failed'));
    expect(await removeUnreferencedBlobs(lib)).toBe(0); // written just now: another process may be adding it
    expect(await removeUnreferencedBlobs(lib, 0)).toBe(1);
    expect(lib.blobs.has(orphan)).toBe(false);
    expect(lib.blobs.has(document.sha256)).toBe(true);
  });

  it('keeps the images of conversations when it sweeps', async () => {
    const lib = tempLibrary();
    const photo = lib.blobs.put(new TextEncoder().encode('a photo someone asked about'));
    await lib.store.createConversation({
      id: 'c1',
      title: 'receipt',
      images: [{ sha256: photo, name: 'receipt.jpg', documentId: null, page: null }],
    });
    expect(await removeUnreferencedBlobs(lib, 0)).toBe(0);
    expect(lib.blobs.has(photo)).toBe(true);
  });

  it('stores vectors for one model and finds nearest chunks (sqlite-vec)', async () => {
    const lib = tempLibrary();
    const { document } = await addDoc(lib, 'vec');
    await lib.store.ensureVectorIndex('test-model', 3);
    const pages = [page(1, ['north']), page(2, ['east'])];
    const vectors = [new Float32Array([0, 1, 0]), new Float32Array([1, 0, 0])];
    for (const [i, p] of pages.entries()) {
      await lib.store.writePage({
        jobId: null,
        documentId: document.id,
        page: p,
        chunks: [{ ...chunkOf(p), vector: vectors[i] }],
      });
    }
    const near = await lib.store.nearestChunks(new Float32Array([0.9, 0.1, 0]), {}, 2);
    expect(near.map((h) => h.page)).toEqual([2, 1]);
    await expect(lib.store.ensureVectorIndex('other-model', 3)).rejects.toThrow(/Re-index/);
    await deleteDocument(lib, document.id);
    expect(await lib.store.nearestChunks(new Float32Array([1, 0, 0]), {}, 2)).toEqual([]);
  });

  it('lists chunks without vectors, fills them in, and drops the index to switch models', async () => {
    const lib = tempLibrary();
    const { document } = await addDoc(lib, 'fill');
    for (const [n, text] of ['north', 'east', 'west'].entries()) {
      const p = page(n + 1, [text]);
      await lib.store.writePage({ jobId: null, documentId: document.id, page: p, chunks: [chunkOf(p)] });
    }
    const all = await lib.store.chunksWithoutVectors(10);
    expect(all.map((c) => c.text)).toEqual(['north', 'east', 'west']);
    expect(await lib.store.chunksWithoutVectors(10, all[1]!.chunkId)).toEqual([all[2]]);
    await expect(lib.store.writeChunkVectors([])).rejects.toThrow(/before ensureVectorIndex/);

    await lib.store.ensureVectorIndex('test-model', 3);
    await lib.store.writeChunkVectors([
      { chunkId: all[0]!.chunkId, vector: new Float32Array([0, 1, 0]) },
      { chunkId: all[1]!.chunkId, vector: new Float32Array([1, 0, 0]) },
    ]);
    expect(await lib.store.chunksWithoutVectors(10)).toEqual([all[2]]);
    // Writing again replaces the vector.
    await lib.store.writeChunkVectors([{ chunkId: all[0]!.chunkId, vector: new Float32Array([1, 0, 0]) }]);
    const near = await lib.store.nearestChunks(new Float32Array([1, 0, 0]), {}, 3);
    expect(near.map((h) => h.page).sort()).toEqual([1, 2]);
    expect(near[0]!.score).toBeCloseTo(0, 5);
    expect(near[1]!.score).toBeCloseTo(0, 5);

    await lib.store.dropVectorIndex();
    expect(await lib.store.vectorIndexInfo()).toBeUndefined();
    expect(await lib.store.nearestChunks(new Float32Array([1, 0, 0]), {}, 3)).toEqual([]);
    await lib.store.ensureVectorIndex('other-model', 2); // another model is welcome now
    expect(await lib.store.chunksWithoutVectors(10)).toHaveLength(3);
    await deleteDocument(lib, document.id); // the delete trigger was recreated with the index
    expect(await lib.store.checkIntegrity()).toBe('ok');
  });

  it('counts the chunks holding each term', async () => {
    const lib = tempLibrary();
    const { document } = await addDoc(lib, 'counts');
    for (const [n, text] of ['apple pear', 'apple plum', 'apple'].entries()) {
      const p = page(n + 1, [text]);
      await lib.store.writePage({ jobId: null, documentId: document.id, page: p, chunks: [chunkOf(p)] });
    }
    const { chunks, counts } = await lib.store.termChunkCounts(['appl', 'pear', 'kiwi']);
    expect(chunks).toBe(3);
    expect(Object.fromEntries(counts)).toEqual({ appl: 3, pear: 1, kiwi: 0 });
  });

  it('finds chunks holding all or any of the terms, and reads no term as FTS5 syntax', async () => {
    const lib = tempLibrary();
    const { document } = await addDoc(lib, 'terms');
    for (const p of [page(1, ['apple pear']), page(2, ['apple kiwi']), page(3, ['and or near'])]) {
      await lib.store.writePage({ jobId: null, documentId: document.id, page: p, chunks: [chunkOf(p)] });
    }
    const pages = async (terms: string[], match: 'all' | 'any') =>
      (await lib.store.searchChunks({ terms, match }, {}, 5)).map((h) => h.page).sort();
    expect(await pages(['appl', 'pear'], 'all')).toEqual([1]);
    expect(await pages(['pear', 'kiwi'], 'any')).toEqual([1, 2]);
    expect(await pages([], 'any')).toEqual([]);
    // FTS5 operators are plain words here (the tokenizer folds case); brackets and quotes are plain text.
    expect(await pages(['and', 'or', 'near'], 'all')).toEqual([3]);
    expect(await pages(['AND', 'OR', '(', '"'], 'any')).toEqual([3]);
  });

  it('reports a full database as DISK_FULL and keeps it intact, each page whole or absent', async () => {
    const lib = tempLibrary();
    const { document } = await addDoc(lib, 'big');
    await lib.close();
    const store = openSqliteLibraryStore(libraryDatabasePath(lib.home), { maxBytes: 400_000 });
    let written = 0;
    let error: unknown;
    try {
      for (let n = 1; n <= 500; n++) {
        const lines = Array.from(
          { length: 40 },
          (_, i) => `page ${n} line ${i} 增值税专用发票 amount ${n * 1000 + i}.50`,
        );
        const p = page(n, lines);
        await store.writePage({ jobId: null, documentId: document.id, page: p, chunks: [chunkOf(p)] });
        written = n;
      }
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'DISK_FULL' });
    expect(written).toBeGreaterThan(0);
    expect(await store.checkIntegrity()).toBe('ok');
    expect((await store.stats()).pages).toBe(written);
    expect(await store.getPage(document.id, written + 1)).toBeUndefined();
    await store.close();
  });
});
