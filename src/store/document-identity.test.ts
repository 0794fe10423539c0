import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteDocument, libraryDatabasePath, openLibrary, type Library } from './library.js';
import { MIGRATIONS } from './sqlite-migrations.js';

// A document is its bytes within its collection (migration 6): the same file in two collections is two
// documents sharing one blob, so a collection-scoped caller always gets a document of its own.

const open: Library[] = [];
const dirs: string[] = [];
function tempHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'docsight-identity-'));
  dirs.push(home);
  return home;
}
function openTracked(home: string): Library {
  const lib = openLibrary(home);
  open.push(lib);
  return lib;
}
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function add(lib: Library, content: string, collection?: string) {
  const bytes = new TextEncoder().encode(content);
  const sha256 = lib.blobs.put(bytes);
  return lib.store.addDocument({
    sha256,
    name: 'same.txt',
    mime: 'text/plain',
    sizeBytes: bytes.length,
    collection,
  });
}

describe('document identity (sha256 within a collection)', () => {
  it('makes the same bytes in two collections two documents, and twice in one collection one', async () => {
    const lib = openTracked(tempHome());
    const inA = await add(lib, 'invoice 42', 'a');
    const inB = await add(lib, 'invoice 42', 'b');
    const againInA = await add(lib, 'invoice 42', 'a');
    expect(inA.created).toBe(true);
    expect(inB.created).toBe(true);
    expect(inB.document.id).not.toBe(inA.document.id);
    expect(inB.document.collection).toBe('b');
    expect(againInA.created).toBe(false);
    expect(againInA.document.id).toBe(inA.document.id);
    expect((await lib.store.listDocuments()).map((d) => d.collection)).toEqual(['a', 'b']);
  });

  it('counts "no collection" as one collection', async () => {
    const lib = openTracked(tempHome());
    const first = await add(lib, 'loose page');
    const second = await add(lib, 'loose page');
    const inA = await add(lib, 'loose page', 'a');
    expect(second).toMatchObject({ created: false, document: { id: first.document.id, collection: null } });
    expect(inA.created).toBe(true);
  });

  it('keeps the shared blob until the last document using it is deleted', async () => {
    const lib = openTracked(tempHome());
    const inA = await add(lib, 'shared bytes', 'a');
    const inB = await add(lib, 'shared bytes', 'b');
    expect(inA.document.sha256).toBe(inB.document.sha256);
    await deleteDocument(lib, inA.document.id);
    expect(lib.blobs.has(inB.document.sha256)).toBe(true);
    expect((await lib.store.referencedBlobs()).has(inB.document.sha256)).toBe(true);
    await deleteDocument(lib, inB.document.id);
    expect(lib.blobs.has(inB.document.sha256)).toBe(false);
  });

  it('upgrades a library made with the earlier schema, keeping its documents, ids, pages, jobs and tags', async () => {
    const home = tempHome();
    mkdirSync(join(home, 'library'), { recursive: true });
    // The schema before migration 6, with rows as that version wrote them (ids with gaps, as after deletes).
    const old = new Database(libraryDatabasePath(home));
    for (const sql of MIGRATIONS.slice(0, 5)) old.exec(sql);
    old.pragma('user_version = 5');
    old.exec(`
      INSERT INTO collections (id, name, created_at) VALUES (1, 'a', 1);
      INSERT INTO documents (id, sha256, name, mime, size_bytes, collection_id, page_count, status, created_at)
        VALUES (3, '${'1'.repeat(64)}', 'one.pdf', 'application/pdf', 10, 1, 1, 'ready', 100),
               (7, '${'2'.repeat(64)}', 'two.png', 'image/png', 20, NULL, NULL, 'pending', 200);
      INSERT INTO document_tags (document_id, tag) VALUES (3, 'paid');
      INSERT INTO pages (id, document_id, page, width, height, source) VALUES (5, 3, 1, 100, 200, 'ocr');
      INSERT INTO lines (page_id, line_no, text, box, confidence) VALUES (5, 0, 'total 42', '[0,0,1,0,1,1,0,1]', 0.9);
      INSERT INTO jobs (id, kind, document_id, state, max_attempts, next_run_at, created_at, updated_at)
        VALUES (9, 'ingest', 7, 'queued', 3, 0, 200, 200);
    `);
    old.close();

    const lib = openTracked(home);
    const docs = await lib.store.listDocuments();
    expect(docs.map((d) => [d.id, d.name, d.collection, d.tags, d.status])).toEqual([
      [3, 'one.pdf', 'a', ['paid'], 'ready'],
      [7, 'two.png', null, [], 'pending'],
    ]);
    expect((await lib.store.listPages(3)).map((p) => [p.page, p.lineCount])).toEqual([[1, 1]]);
    expect((await lib.store.getJob(9))?.documentId).toBe(7);
    // The upgraded table enforces the new identity, and references to it still act (pages cascade).
    const sameInB = await lib.store.addDocument({
      sha256: '1'.repeat(64),
      name: 'one.pdf',
      mime: 'application/pdf',
      sizeBytes: 10,
      collection: 'b',
    });
    expect(sameInB.created).toBe(true);
    await lib.store.deleteDocument(3);
    expect(await lib.store.listPages(3)).toEqual([]);

    const db = new Database(libraryDatabasePath(home), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });
});
