import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../config/config.js';
import { deleteDocument } from '../store/library.js';
import { useTempDirs } from '../test-support/temp-dir.js';
import { testImage, tinyModel } from '../understand/engine/test-support/test-models.js';
import {
  createConversation,
  deleteConversation,
  getConversation,
  listConversations,
  readConversationImage,
  renameConversation,
  sendMessage,
  type ChatEvent,
  type MessageInput,
} from './chat.js';
import { createDocSight, type DocSight } from './docsight.js';

// The tiny synthetic Qwen3-VL (random weights): answers are gibberish; these tests check the conversation —
// what is stored, and that a follow-up does not encode its image again.
const tempDir = useTempDirs('docsight-app-chat-');
let model: Awaited<ReturnType<typeof tinyModel>>;
let config: Config;
beforeAll(async () => {
  model = await tinyModel();
  config = loadConfig({
    env: {},
    flags: { home: tempDir(), understand: { modelPath: model.model, mmprojPath: model.mmproj, threads: 1 } },
  });
});
afterAll(() => rm(model.dir, { recursive: true, force: true }));

const openApp = () => createDocSight(config, { ocrThread: 'main' });

async function send(app: DocSight, id: string, input: MessageInput) {
  let text = '';
  let done: Extract<ChatEvent, { type: 'done' }> | undefined;
  for await (const event of sendMessage(app, id, { maxTokens: 3, ...input })) {
    if (event.type === 'text') text += event.text;
    else done = event;
  }
  return { text, done: done! };
}

const page = async (variant: number) => ({
  bytes: (await testImage(96, variant)).png,
  name: `page-${variant}.png`,
});

describe('conversations', () => {
  it('keeps the turns; a follow-up encodes no image; it survives closing and reopening the app', async () => {
    let app = openApp();
    const { id, title } = await createConversation(app, { images: [await page(10)] });
    expect(title).toBe('page-10.png');
    const first = await send(app, id, { text: 'What is the total?' });
    expect(first.done.stats).toMatchObject({ imageState: 'saved', imagesEncoded: 1 });
    expect(first.done.turn.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    const followUp = await send(app, id, { text: 'And the date?' });
    expect(followUp.done.stats).toMatchObject({ imageState: 'kept', imagesEncoded: 0 });
    // The engine evaluated only the new turn: the earlier prompt came from its KV cache.
    expect(followUp.done.stats.reusedTokens).toBeGreaterThan(0);
    await app.close();

    app = openApp();
    try {
      const stored = await getConversation(app, id);
      expect(stored.messages.map((m) => [m.role, m.role === 'user' ? m.text : ''])).toEqual([
        ['system', ''],
        ['user', 'What is the total?'],
        ['assistant', ''],
        ['user', 'And the date?'],
        ['assistant', ''],
      ]);
      expect(stored.messages[2]!.text).toBe(first.text);
      expect(stored.messages[4]!.stats).toMatchObject({ imagesEncoded: 0, finishReason: 'length' });
      expect(stored.messages[1]!.images).toEqual([expect.objectContaining({ name: 'page-10.png' })]);
      // A new engine: the image state comes back from the disk cache, the history is resent as text.
      const afterRestart = await send(app, id, { text: 'And the seller?' });
      expect(afterRestart.done.stats).toMatchObject({ imageState: 'loaded', imagesEncoded: 0 });
      // An image added later is encoded once, alone.
      const added = await send(app, id, { text: 'And this one?', images: [await page(11)] });
      expect(added.done.stats).toMatchObject({ imagesEncoded: 1 });
      expect((await getConversation(app, id)).messages.at(-2)!.images).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('a cancelled answer stops generating and leaves the conversation as it was; one message at a time', async () => {
    const app = openApp();
    try {
      const { id } = await createConversation(app, { images: [await page(12)] });
      const controller = new AbortController();
      let done: Extract<ChatEvent, { type: 'done' }> | undefined;
      for await (const event of sendMessage(app, id, {
        text: 'Describe everything.',
        maxTokens: 2000,
        signal: controller.signal,
      })) {
        if (event.type === 'text' && !controller.signal.aborted) {
          // While one message is answered, another on the same conversation would fork its history.
          await expect(send(app, id, { text: 'Meanwhile?' })).rejects.toMatchObject({ code: 'BUSY' });
          controller.abort();
        } else if (event.type === 'done') done = event;
      }
      expect(done).toMatchObject({ finishReason: 'cancelled', turn: [] });
      expect(done!.stats.generatedTokens).toBeLessThan(2000);
      expect((await getConversation(app, id)).messageCount).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('talks about a library page, keeps its image when the document is deleted, and frees it after', async () => {
    const app = openApp();
    try {
      const { store, blobs } = app.library();
      const render = (await testImage(96, 13)).png;
      const { document } = await store.addDocument({
        sha256: blobs.put(render),
        name: 'scan.png',
        mime: 'image/png',
        sizeBytes: render.length,
      });
      await store.writePage({
        jobId: null,
        documentId: document.id,
        page: { page: 1, width: 96, height: 96, source: 'ocr', lines: [] },
        imageSha256: document.sha256,
        chunks: [],
      });
      const { id } = await createConversation(app, {
        title: 'Scan',
        images: [{ documentId: document.id, page: 1 }],
      });
      await deleteDocument(app.library(), document.id);
      expect(blobs.has(document.sha256)).toBe(true);
      const answer = await send(app, id, { text: 'What is it?', task: 'summarize' });
      expect(answer.done.stats.imagesEncoded).toBe(1);
      const stored = await getConversation(app, id);
      expect(stored.messages[1]!.images).toEqual([
        { sha256: document.sha256, name: 'scan.png', documentId: document.id, page: 1 },
      ]);
      expect(Buffer.compare(await readConversationImage(app, id, document.sha256), render)).toBe(0);
      await expect(readConversationImage(app, id, '0'.repeat(64))).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await deleteConversation(app, id);
      expect(blobs.has(document.sha256)).toBe(false);
    } finally {
      await app.close();
    }
  });

  it('lists, renames and deletes; unknown ids, empty titles and image-less conversations are refused', async () => {
    const app = openApp();
    try {
      const { id } = await createConversation(app, { title: 'Lease' });
      expect((await listConversations(app)).map((c) => c.id)).toContain(id);
      expect(await renameConversation(app, id, ' Lease 2024 ')).toMatchObject({ title: 'Lease 2024' });
      await expect(renameConversation(app, id, '  ')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      await expect(send(app, id, { text: 'Hello?' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      await deleteConversation(app, id);
      await expect(getConversation(app, id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(send(app, id, { text: 'Hello?' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(deleteConversation(app, id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await app.close();
    }
  });
});
