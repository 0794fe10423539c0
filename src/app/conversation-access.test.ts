import { beforeAll, describe, expect, it } from 'vitest';
import { testImage } from '../understand/engine/test-support/test-models.js';
import type { Access } from './access.js';
import {
  createConversation,
  deleteConversation,
  getConversation,
  listConversations,
  readConversationImage,
  renameConversation,
  sendMessage,
} from './chat.js';
import type { DocSight } from './docsight.js';
import { authenticate, createKey } from './keys.js';
import { useAppsInTempHomes } from './test-support/app-in-temp-home.js';

// A conversation belongs to the key that started it: a collection-scoped key uses only its own, and another
// key's does not exist for it (NOT_FOUND, the same answer as an id never used). Full access uses them all.
const newApp = useAppsInTempHomes('docsight-app-conversation-access-');

let app: DocSight;
let keyA: Access;
let keyB: Access;
let admin: Access;
/** A library document in collection `collection` with one page whose render is a stored blob. */
async function libraryPage(collection: string, variant: number): Promise<number> {
  const { store, blobs } = app.library();
  const render = (await testImage(64, variant)).png;
  const { document } = await store.addDocument({
    sha256: blobs.put(render),
    name: `${collection}.png`,
    mime: 'image/png',
    sizeBytes: render.length,
    collection,
  });
  await store.writePage({
    jobId: null,
    documentId: document.id,
    page: { page: 1, width: 64, height: 64, source: 'ocr', lines: [] },
    imageSha256: document.sha256,
    chunks: [],
  });
  return document.id;
}

beforeAll(async () => {
  app = newApp();
  const bearer = async (input: Parameters<typeof createKey>[1]) =>
    authenticate(app, `Bearer ${(await createKey(app, input)).key}`);
  keyA = await bearer({ collections: ['a'] });
  keyB = await bearer({ collections: ['b'] });
  admin = await bearer({ admin: true });
});

describe('conversation ownership', () => {
  it('keeps each scoped key to the conversations it started; full access sees them all', async () => {
    const mine = await createConversation(app, { title: 'Mine' }, keyA);
    const theirs = await createConversation(app, { title: 'Theirs' }, keyB);
    expect(mine.ownerKeyId).toBe(keyA.keyId);

    expect((await listConversations(app, {}, keyA)).map((c) => c.title)).toEqual(['Mine']);
    expect((await listConversations(app, {}, keyB)).map((c) => c.title)).toEqual(['Theirs']);
    expect((await listConversations(app, {}, admin)).map((c) => c.title).sort()).toEqual(['Mine', 'Theirs']);
    expect((await getConversation(app, theirs.id, admin)).title).toBe('Theirs');

    const refusedAsUnknown = async (attempt: Promise<unknown>) => {
      const error = (await attempt.then(
        () => undefined,
        (e: unknown) => e,
      )) as { code: string; message: string };
      expect(error.code).toBe('NOT_FOUND');
      return error.message;
    };
    const never = await refusedAsUnknown(getConversation(app, 'no-such-id', keyA));
    const other = await refusedAsUnknown(getConversation(app, theirs.id, keyA));
    expect(other).toBe(never.replace('no-such-id', theirs.id));
    await refusedAsUnknown(renameConversation(app, theirs.id, 'Taken', keyA));
    await refusedAsUnknown(deleteConversation(app, theirs.id, keyA));
    await refusedAsUnknown(readConversationImage(app, theirs.id, '0'.repeat(64), keyA));
    // Checked before anything else a message needs (the model, the images): nothing about it is told.
    await refusedAsUnknown(sendMessage(app, theirs.id, { text: 'Hello?' }, keyA).next());
    expect((await getConversation(app, theirs.id, keyB)).title).toBe('Theirs');

    expect(await renameConversation(app, mine.id, 'Mine, renamed', keyA)).toMatchObject({
      title: 'Mine, renamed',
    });
    await deleteConversation(app, mine.id, keyA);
    expect(await listConversations(app, {}, keyA)).toEqual([]);
  });

  it('adds a library page only when the key may see its document', async () => {
    const inA = await libraryPage('a', 21);
    const inB = await libraryPage('b', 22);
    const own = await createConversation(app, { images: [{ documentId: inA, page: 1 }] }, keyA);
    expect((await getConversation(app, own.id, keyA)).waitingImages).toMatchObject([{ documentId: inA }]);
    await expect(
      createConversation(app, { images: [{ documentId: inB, page: 1 }] }, keyA),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      sendMessage(app, own.id, { text: 'Compare', images: [{ documentId: inB, page: 1 }] }, keyA).next(),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await listConversations(app, {}, keyA)).map((c) => c.id)).toEqual([own.id]);
  });
});
