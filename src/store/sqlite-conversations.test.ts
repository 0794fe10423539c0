import { afterEach, describe, expect, it } from 'vitest';
import { useTempDirs } from '../test-support/temp-dir.js';
import { deleteDocument, openLibrary, type Library } from './library.js';
import type { ConversationImage } from './library-store.js';

// Conversations live in the library database (a real SQLite file here) beside documents, and share its
// content-addressed blobs: these tests pin down what survives what.
const tempDir = useTempDirs('docsight-conversations-');
const open: Library[] = [];
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
});
function library(home = tempDir()): Library {
  const lib = openLibrary(home);
  open.push(lib);
  return lib;
}
const upload = (lib: Library, text: string, name = 'scan.png'): ConversationImage => ({
  sha256: lib.blobs.put(Buffer.from(text)),
  name,
  documentId: null,
  page: null,
});

describe('conversations in the SQLite library store', () => {
  it('keeps turns in order, gives waiting images to the first user message, and survives reopening', async () => {
    const home = tempDir();
    const lib = library(home);
    const first = upload(lib, 'page one');
    const created = await lib.store.createConversation({ id: 'c1', title: 'Receipt', images: [first] });
    expect(created).toMatchObject({ id: 'c1', title: 'Receipt', budget: null, messageCount: 0 });
    expect((await lib.store.getConversation('c1'))!.waitingImages).toEqual([first]);

    const written = await lib.store.appendConversationTurn('c1', {
      budget: 256,
      messages: [
        { role: 'system', text: 'Answer from the document.' },
        { role: 'user', text: 'Total?', task: 'ask' },
        { role: 'assistant', text: '3.55', stats: { imagesEncoded: 1 } },
      ],
    });
    expect(written.map((m) => [m.seq, m.role])).toEqual([
      [1, 'system'],
      [2, 'user'],
      [3, 'assistant'],
    ]);
    expect(written[1]!.images).toEqual([first]);
    const second = upload(lib, 'page two', 'back.png');
    await lib.store.appendConversationTurn('c1', {
      budget: 1024, // ignored: the first turn fixed it
      messages: [
        { role: 'user', text: 'And the back?', prompt: 'And the back side?', images: [second] },
        { role: 'assistant', text: 'Blank.', stats: { imagesEncoded: 1 } },
      ],
    });
    await lib.close();

    const reopened = library(home);
    const detail = (await reopened.store.getConversation('c1'))!;
    expect(detail).toMatchObject({ budget: 256, messageCount: 5, waitingImages: [] });
    expect(detail.messages.map((m) => m.text)).toEqual([
      'Answer from the document.',
      'Total?',
      '3.55',
      'And the back?',
      'Blank.',
    ]);
    expect(detail.messages[3]).toMatchObject({ prompt: 'And the back side?', images: [second] });
    expect(detail.messages[4]!.stats).toEqual({ imagesEncoded: 1 });
  });

  it('lists the most recently active first, renames, and says when a conversation is missing', async () => {
    const lib = library();
    await lib.store.createConversation({ id: 'old', title: 'Old' });
    await lib.store.createConversation({ id: 'new', title: 'New' });
    expect((await lib.store.listConversations()).map((c) => c.id)).toEqual(['new', 'old']);
    expect(await lib.store.renameConversation('old', 'Renamed')).toBe(true);
    expect(await lib.store.renameConversation('nope', 'X')).toBe(false);
    expect(await lib.store.listConversations({ limit: 1 })).toHaveLength(1);
    expect(await lib.store.getConversation('old')).toMatchObject({ title: 'Renamed' });
    expect(await lib.store.getConversation('nope')).toBeUndefined();
    await expect(
      lib.store.appendConversationTurn('nope', { messages: [{ role: 'user', text: 'hi' }] }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('frees only the blobs nothing else references when a conversation or a document is deleted', async () => {
    const lib = library();
    const own = upload(lib, 'only in c1');
    const shared = upload(lib, 'in both conversations');
    // A library page image used as a conversation image: the same blob.
    const { document } = await lib.store.addDocument({
      sha256: lib.blobs.put(Buffer.from('original')),
      name: 'a.pdf',
      mime: 'application/pdf',
      sizeBytes: 8,
    });
    const render = lib.blobs.put(Buffer.from('page render'));
    await lib.store.writePage({
      jobId: null,
      documentId: document.id,
      page: { page: 1, width: 10, height: 10, source: 'ocr', lines: [] },
      imageSha256: render,
      chunks: [],
    });
    const pageImage = { sha256: render, name: 'a.pdf', documentId: document.id, page: 1 };
    await lib.store.createConversation({ id: 'c1', title: 'one', images: [own, shared, pageImage] });
    await lib.store.createConversation({ id: 'c2', title: 'two', images: [shared] });
    await lib.store.createConversation({ id: 'c3', title: 'three', images: [pageImage] });

    // Re-reading the document (its pages cleared) keeps the render conversations show.
    expect((await lib.store.clearPages(document.id)).orphanBlobs).toEqual([]);
    const first = await lib.store.deleteConversation('c1');
    expect(first.deleted).toBe(true);
    expect(first.orphanBlobs).toEqual([own.sha256]);
    // The document goes; its page render stays, because conversation c3 still shows it.
    expect(await deleteDocument(lib, document.id)).toBe(true);
    expect(lib.blobs.has(render)).toBe(true);
    expect((await lib.store.deleteConversation('c3')).orphanBlobs).toEqual([render]);
    expect((await lib.store.deleteConversation('c2')).orphanBlobs).toEqual([shared.sha256]);
    expect(await lib.store.deleteConversation('c2')).toEqual({ deleted: false, orphanBlobs: [] });
    expect(await lib.store.checkIntegrity()).toBe('ok');
  });
});
