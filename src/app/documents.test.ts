import { beforeAll, describe, expect, it } from 'vitest';
import { buildPdf } from '../read/intake/test-support/build-pdf.js';
import type { DocSight } from './docsight.js';
import {
  deleteDocuments,
  getDocument,
  getPage,
  getPageImage,
  listDocuments,
  reindex,
  reingestDocument,
} from './documents.js';
import { addDocuments, processQueue } from './ingest.js';
import { useAppsInTempHomes } from './test-support/app-in-temp-home.js';

const newApp = useAppsInTempHomes('docsight-app-documents-');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

let app: DocSight;
let letterId: number;
let notesId: number;
let brokenId: number;
beforeAll(async () => {
  app = newApp();
  const letter = buildPdf([
    { texts: [{ text: 'Dear Sir,', x: 72, y: 700, size: 12 }] },
    { texts: [{ text: 'Yours, A. Smith', x: 72, y: 700, size: 12 }] },
  ]);
  const { outcomes, jobIds } = await addDocuments(
    app,
    [
      { name: 'letter.pdf', bytes: letter },
      { name: 'notes.txt', bytes: text('call the bank') },
      // Words named .png: stored, then its reading fails (not an image).
      { name: 'broken.png', bytes: text('not an image') },
    ],
    { collection: 'mail' },
  );
  const ids = outcomes.map((o) => ('document' in o ? o.document.id : 0));
  [letterId, notesId, brokenId] = [ids[0]!, ids[1]!, ids[2]!];
  expect(await processQueue(app, { jobIds })).toMatchObject({ done: 2, failed: 1 });
});

describe('documents', () => {
  it('lists documents with their status and pages', async () => {
    const list = await listDocuments(app, { collection: 'mail' });
    expect(list.map((d) => [d.name, d.status, d.pageCount])).toEqual([
      ['letter.pdf', 'ready', 2],
      ['notes.txt', 'ready', 1],
      ['broken.png', 'failed', null],
    ]);
    expect(await listDocuments(app, { collection: 'other' })).toEqual([]);
  });

  it('gets a document with every page and its lines, and one page alone', async () => {
    const doc = await getDocument(app, letterId);
    expect(doc.pages.map((p) => [p.page, p.source, p.lines.map((l) => l.text)])).toEqual([
      [1, 'text-layer', ['Dear Sir,']],
      [2, 'text-layer', ['Yours, A. Smith']],
    ]);
    expect((await getPage(app, letterId, 2)).lines[0]!.text).toBe('Yours, A. Smith');
    await expect(getPage(app, letterId, 3)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'Document 1 has no page 3.',
    });
    await expect(getDocument(app, 999)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('gives the rendered picture of a PDF page, and none for plain text', async () => {
    const image = await getPageImage(app, letterId, 1);
    expect(image.mime).toBe('image/png');
    expect([...image.bytes.subarray(1, 4)]).toEqual([...text('PNG')]);
    await expect(getPageImage(app, notesId, 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('queues a failed document again', async () => {
    const first = await reingestDocument(app, brokenId);
    expect(first).toMatchObject({ alreadyQueued: false, job: { state: 'queued', documentId: brokenId } });
    expect(await reingestDocument(app, brokenId)).toMatchObject({
      alreadyQueued: true,
      job: { id: first.job.id },
    });
    expect(await processQueue(app, { jobIds: [first.job.id] })).toMatchObject({ failed: 1 });
  });

  it('reads a ready document again from its original, its old pages and page images removed first', async () => {
    const oldImage = (await getPage(app, letterId, 1)).imageSha256!;
    const { document, job } = await reingestDocument(app, letterId);
    expect(document).toMatchObject({ status: 'pending', pageCount: null });
    expect((await getDocument(app, letterId)).pages).toEqual([]);
    expect(app.library().blobs.has(oldImage)).toBe(false);
    expect(await processQueue(app, { jobIds: [job.id] })).toMatchObject({ done: 1 });
    const again = await getDocument(app, letterId);
    expect([again.status, again.pages.map((p) => p.lines[0]!.text)]).toEqual([
      'ready',
      ['Dear Sir,', 'Yours, A. Smith'],
    ]);
    expect(app.library().blobs.has(again.pages[0]!.imageSha256!)).toBe(true);
  });

  it('re-indexes from the stored lines only when asked or needed, without an embedding model', async () => {
    expect(await reindex(app)).toEqual({ pagesReindexed: undefined, embedded: undefined });
    expect(await reindex(app, { full: true })).toEqual({ pagesReindexed: 3, embedded: undefined });
  });

  it('removes documents and lists the ids that were not there', async () => {
    expect(await deleteDocuments(app, [notesId, 999])).toEqual({ removed: [notesId], missing: [999] });
    expect((await listDocuments(app)).map((d) => d.name)).toEqual(['letter.pdf', 'broken.png']);
  });
});
