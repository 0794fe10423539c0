import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocSight, type DocSight } from '../../app/docsight.js';
import { addDocument, processQueue } from '../../app/ingest.js';
import { createKey } from '../../app/keys.js';
import { loadConfig } from '../../config/config.js';
import { buildPdf } from '../../read/intake/test-support/build-pdf.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { testImage, tinyModel } from '../../understand/engine/test-support/test-models.js';
import { createHttpServer } from './server.js';
import { eventStreamFrames } from './test-support/event-stream-frames.js';

// A real server over a real library and the tiny synthetic Qwen3-VL (gibberish answers: these tests check the
// protocol, the stored turns and the image-state reuse, never wording).
const tempDir = useTempDirs('docsight-http-conversations-');
const MAX_FILE_BYTES = 300_000;

interface Message {
  role: string;
  text: string;
  stats: Record<string, unknown> | null;
  images: { sha256: string; url: string; document_id: number | null; page: number | null }[];
}
interface Detail {
  id: string;
  title: string;
  message_count: number;
  messages: Message[];
  waiting_images: Message['images'];
}

describe('/api/conversations', () => {
  let app: DocSight;
  let server: FastifyInstance;
  let base: string;
  let modelDir: string;
  let png: Buffer;
  let documentId: number;

  beforeAll(async () => {
    const model = await tinyModel();
    modelDir = model.dir;
    app = createDocSight(
      loadConfig({
        env: {},
        flags: {
          home: tempDir(),
          understand: { modelPath: model.model, mmprojPath: model.mmproj, threads: 1, slots: 1 },
          intake: { maxFileBytes: MAX_FILE_BYTES },
        },
      }),
      { ocrThread: 'main' },
    );
    const bytes = buildPdf([{ texts: [{ text: 'Total due 3550.00 EUR', x: 60, y: 700, size: 12 }] }]);
    const { document, job } = await addDocument(app, { name: 'invoice.pdf', bytes });
    documentId = document.id;
    await processQueue(app, { jobIds: [job!.id] });
    server = createHttpServer(app, { log: () => undefined });
    await server.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    png = (await testImage(96, 7)).png;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await app?.close();
    await rm(modelDir, { recursive: true, force: true });
  });

  const call = (method: string, path: string, body?: object | FormData) =>
    fetch(`${base}${path}`, {
      method,
      ...(body instanceof FormData
        ? { body }
        : body
          ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
          : {}),
    });
  const json = async <T>(response: Response, status = 200): Promise<T> => {
    expect(response.status, await response.clone().text()).toBe(status);
    return (await response.json()) as T;
  };
  const dataUrl = (bytes: Buffer) => `data:image/png;base64,${bytes.toString('base64')}`;

  it('streams an answer, and a follow-up about the same image encodes no image', async () => {
    const created = await json<{ id: string; title: string }>(
      await call('POST', '/api/conversations', { title: 'Receipt', images: [{ data_url: dataUrl(png) }] }),
      201,
    );
    expect(created.title).toBe('Receipt');
    const response = await call('POST', `/api/conversations/${created.id}/messages`, {
      text: 'What is the total?',
      max_tokens: 4,
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const frames = [] as {
      type: string;
      text?: string;
      stats?: Record<string, unknown>;
      messages?: Message[];
    }[];
    for await (const frame of eventStreamFrames(response)) frames.push(frame as (typeof frames)[number]);
    expect(frames.slice(0, -1).every((f) => f.type === 'text')).toBe(true);
    const done = frames.at(-1)!;
    expect(done.type).toBe('done');
    expect(done.stats).toMatchObject({ images_encoded: 1 });
    expect(done.messages!.map((m) => [m.role, m.text])).toEqual([
      ['user', 'What is the total?'],
      [
        'assistant',
        frames
          .slice(0, -1)
          .map((f) => f.text)
          .join(''),
      ],
    ]);

    const followUp = await json<{ answer: string; stats: Record<string, unknown> }>(
      await call('POST', `/api/conversations/${created.id}/messages`, {
        text: 'And the date?',
        max_tokens: 4,
        stream: false,
      }),
    );
    expect(typeof followUp.answer).toBe('string');
    expect(followUp.stats.images_encoded).toBe(0);

    const detail = await json<Detail>(await call('GET', `/api/conversations/${created.id}`));
    expect(detail.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    const [image] = detail.messages[0]!.images;
    const served = await call('GET', image!.url);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
  });

  it('stops answering when the client goes away, and keeps the conversation as it was', async () => {
    const { id } = await json<{ id: string }>(
      await call('POST', '/api/conversations', { images: [{ data_url: dataUrl(png) }] }),
      201,
    );
    const before = app.engine().engine.stats();
    const controller = new AbortController();
    const response = await fetch(`${base}/api/conversations/${id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Describe everything.', max_tokens: 4000 }),
      signal: controller.signal,
    });
    let pieces = 0;
    try {
      for await (const frame of eventStreamFrames(response)) {
        if ((frame as { type: string }).type === 'text' && ++pieces === 2) {
          controller.abort();
          break;
        }
      }
    } catch {
      // The aborted fetch ends the loop with an abort error: the client has hung up.
    }
    expect(pieces).toBe(2);
    await expect.poll(() => app.engine().engine.stats().running, { timeout: 20_000 }).toBe(0);
    expect(app.engine().engine.stats().cancelled).toBe(before.cancelled + 1);
    expect((await json<Detail>(await call('GET', `/api/conversations/${id}`))).messages).toEqual([]);
  });

  it('takes images as multipart file parts, and a message with a task as a form', async () => {
    const form = new FormData();
    form.set('title', 'Upload');
    form.set('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'scan.png');
    const created = await json<{ id: string }>(await call('POST', '/api/conversations', form), 201);
    const message = new FormData();
    message.set('task', 'summarize');
    message.set('max_tokens', '3');
    message.set('stream', 'false');
    const answer = await json<{ messages: Message[] }>(
      await call('POST', `/api/conversations/${created.id}/messages`, message),
    );
    expect(answer.messages[0]).toMatchObject({ role: 'user', task: 'summarize' });
    const detail = await json<Detail>(await call('GET', `/api/conversations/${created.id}`));
    expect(detail.messages[0]!.images).toHaveLength(1);
  });

  it('refuses a file over intake.maxFileBytes with 413, and a bad data URL with 400 naming the field', async () => {
    const form = new FormData();
    form.set('image', new Blob([new Uint8Array(MAX_FILE_BYTES + 1)]), 'big.png');
    const big = await call('POST', '/api/conversations', form);
    expect(big.status).toBe(413);
    const bad = await json<{ error: { param: string } }>(
      await call('POST', '/api/conversations', { images: [{ data_url: 'http://example.com/a.png' }] }),
      400,
    );
    expect(bad.error.param).toBe('images.0.data_url');
  });

  it('starts a conversation on a library page and serves its stored render', async () => {
    const created = await json<{ id: string }>(
      await call('POST', '/api/conversations', { images: [{ document_id: documentId, page: 1 }] }),
      201,
    );
    const detail = await json<Detail>(await call('GET', `/api/conversations/${created.id}`));
    expect(detail.title).toBe('invoice.pdf');
    const [waiting] = detail.waiting_images;
    expect(waiting).toMatchObject({ document_id: documentId, page: 1 });
    const page = await app.library().store.getPage(documentId, 1);
    expect(waiting!.sha256).toBe(page!.imageSha256);
    expect((await call('GET', waiting!.url)).status).toBe(200);
    const missing = await call('POST', '/api/conversations', { images: [{ document_id: 999, page: 1 }] });
    expect(missing.status).toBe(404);
  });

  it('lists, renames and deletes', async () => {
    const { id } = await json<{ id: string }>(
      await call('POST', '/api/conversations', { title: 'Old', images: [{ data_url: dataUrl(png) }] }),
      201,
    );
    const renamed = await json<Detail>(await call('PATCH', `/api/conversations/${id}`, { title: ' New ' }));
    expect(renamed.title).toBe('New');
    const { conversations } = await json<{ conversations: { id: string; title: string }[] }>(
      await call('GET', '/api/conversations?limit=100'),
    );
    expect(conversations.find((c) => c.id === id)?.title).toBe('New');
    expect((await call('PATCH', `/api/conversations/${id}`, { title: '' })).status).toBe(400);
    const detail = await json<Detail>(await call('GET', `/api/conversations/${id}`));
    expect((await call('DELETE', `/api/conversations/${id}`)).status).toBe(204);
    expect((await call('GET', `/api/conversations/${id}`)).status).toBe(404);
    expect((await call('GET', detail.waiting_images[0]!.url)).status).toBe(404);
    expect((await call('DELETE', `/api/conversations/${id}`)).status).toBe(404);
  });

  it('documents every conversation route in the OpenAPI document, path parameters included', async () => {
    const { paths } = await json<{ paths: Record<string, Record<string, unknown>> }>(
      await call('GET', '/openapi.json'),
    );
    expect(Object.keys(paths['/api/conversations']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(paths['/api/conversations/{id}']!).sort()).toEqual(['delete', 'get', 'patch']);
    expect(paths).toHaveProperty(['/api/conversations/{id}/messages', 'post']);
    expect(paths).toHaveProperty(['/api/conversations/{id}/images/{sha256}', 'get']);
    expect(paths).toHaveProperty(['/api/ask', 'post']);
  });

  it('keeps each key to the conversations it started: another key gets 404, as for an id never used', async () => {
    const keyA = (await createKey(app, { collections: ['invoices'] })).key;
    const keyB = (await createKey(app, { collections: ['letters'] })).key;
    const admin = (await createKey(app, { admin: true })).key;
    const as = (key: string, method: string, path: string, body?: object) =>
      fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const mine = await json<{ id: string }>(
      await as(keyA, 'POST', '/api/conversations', { title: 'A only', images: [{ data_url: dataUrl(png) }] }),
      201,
    );
    const path = `/api/conversations/${mine.id}`;
    const titles = async (key: string) =>
      (
        await json<{ conversations: { title: string }[] }>(await as(key, 'GET', '/api/conversations'))
      ).conversations.map((c) => c.title);
    expect(await titles(keyA)).toEqual(['A only']);
    expect(await titles(keyB)).toEqual([]);
    expect(await titles(admin)).toContain('A only');
    const { waiting_images: waiting } = await json<Detail>(await as(keyA, 'GET', path));
    const statuses = [
      (await as(keyB, 'GET', path)).status,
      (await as(keyB, 'GET', waiting[0]!.url)).status,
      (await as(keyB, 'PATCH', path, { title: 'Taken' })).status,
      (await as(keyB, 'POST', `${path}/messages`, { text: 'Hello?', stream: false })).status,
      (await as(keyB, 'DELETE', path)).status,
    ];
    expect(statuses).toEqual([404, 404, 404, 404, 404]);
    expect(await json<{ error: { message: string } }>(await as(keyB, 'GET', path), 404)).toEqual(
      await json<{ error: { message: string } }>(await as(keyB, 'GET', '/api/conversations/never'), 404).then(
        (e) => ({ error: { ...e.error, message: e.error.message.replace('never', mine.id) } }),
      ),
    );
    expect((await as(admin, 'GET', path)).status).toBe(200);
    // A library page outside the key's collections is not there for it (invoice.pdf is in no collection).
    const page = await as(keyA, 'POST', '/api/conversations', {
      images: [{ document_id: documentId, page: 1 }],
    });
    expect(page.status).toBe(404);
    expect((await as(keyA, 'DELETE', path)).status).toBe(204);
    expect(await titles(keyA)).toEqual([]);
  });
});
