import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocSight, type DocSight } from '../../app/docsight.js';
import { startIngestion, type Ingestion } from '../../app/ingest.js';
import { createKey } from '../../app/keys.js';
import { loadConfig } from '../../config/config.js';
import { DEFAULT_EMBEDDING_MODEL } from '../../models/catalog.js';
import { buildPdf } from '../../read/intake/test-support/build-pdf.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { createHttpServer } from './server.js';
import { readEvents } from './test-support/server-sent-events.js';

// Two collections, a key for each and an admin key, on a real server: for every endpoint, key A never sees
// collection B's documents or jobs — they answer exactly as ids never used (404) or are filtered out — and
// writing into B with key A is refused (403).
const tempDir = useTempDirs('docsight-http-access-');

type Json = Record<string, unknown>;
const pdf = (words: string) => buildPdf([{ texts: [{ text: words, x: 72, y: 700, size: 14 }] }]);

let app: DocSight;
let ingestion: Ingestion;
let server: FastifyInstance;
let base: string;
let hub: Server;
let keyA: string;
let keyB: string;
let admin: string;
const docs: Record<'a' | 'b', { id: number; job_id: number }> = {} as never;

function call(key: string | undefined, path: string, init: RequestInit & { json?: unknown } = {}) {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${base}${path}`, {
    ...init,
    headers,
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
  });
}

async function upload(key: string | undefined, collection: string | undefined, name: string, words: string) {
  const body = new FormData();
  if (collection) body.append('collection', collection);
  body.append('file', new Blob([new Uint8Array(pdf(words))], { type: 'application/pdf' }), name);
  return call(key, '/api/documents', { method: 'POST', body });
}

beforeAll(async () => {
  // A stand-in hub serving the wrong bytes for every file: a download starts, then fails its size check.
  hub = createServer((_req, res) =>
    res.writeHead(200, { 'content-length': 30_000 }).end(Buffer.alloc(30_000)),
  );
  await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
  app = createDocSight(loadConfig({ env: {}, flags: { home: tempDir() } }), { ocrThread: 'main' });
  ingestion = await startIngestion(app, { pollMs: 50 });
  server = createHttpServer(app, {
    log: () => undefined,
    ingestion,
    modelEndpoint: `http://127.0.0.1:${(hub.address() as AddressInfo).port}`,
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  // Before any key exists the server is open (loopback only): fill both collections.
  for (const c of ['a', 'b'] as const) {
    const response = await upload(undefined, c, `${c}.pdf`, `shared words of collection ${c}`);
    docs[c] = ((await response.json()) as { documents: { id: number; job_id: number }[] }).documents[0]!;
    await readEvents(await call(undefined, `/api/jobs/${docs[c].job_id}/events`));
  }
  keyA = (await createKey(app, { collections: ['a'] })).key;
  keyB = (await createKey(app, { collections: ['b'] })).key;
  admin = (await createKey(app, { admin: true })).key;
});
afterAll(async () => {
  await server?.close();
  await ingestion?.stop();
  await app?.close();
  await new Promise((resolve) => hub?.close(resolve));
});

describe('a collection key', () => {
  const other = () => `/api/documents/${docs.b.id}`;
  const documentPaths = ['', '/pages/1', '/pages/1/image', '/pages/1/thumbnail', '/file', '/export'];

  it("gets 404 for every view of another collection's document, exactly as for an id never used", async () => {
    for (const path of documentPaths) {
      // The owner sees it: the 404 below comes from access, not from a missing page.
      expect((await call(keyB, `${other()}${path}`)).status, path).toBe(200);
      const response = await call(keyA, `${other()}${path}`);
      expect(response.status, path).toBe(404);
      const never = await call(keyA, `/api/documents/999999${path}`);
      const message = ((await response.json()) as { error: { message: string } }).error.message;
      const neverMessage = ((await never.json()) as { error: { message: string } }).error.message;
      expect(message.replace(String(docs.b.id), 'N'), path).toBe(neverMessage.replace('999999', 'N'));
    }
    expect((await call(keyA, `${other()}/reingest`, { method: 'POST' })).status).toBe(404);
    expect((await call(keyA, other(), { method: 'DELETE' })).status).toBe(404);
    expect((await call(keyB, other())).status).toBe(200);
  });

  it('lists only its collections, and nothing when it names another', async () => {
    const names = async (key: string, query = '') =>
      ((await (await call(key, `/api/documents${query}`)).json()) as { documents: Json[] }).documents.map(
        (d) => d.name,
      );
    expect(await names(keyA)).toEqual(['a.pdf']);
    expect(await names(keyA, '?collection=b')).toEqual([]);
    expect(await names(keyB)).toEqual(['b.pdf']);
    expect(await names(admin)).toEqual(['a.pdf', 'b.pdf']);
  });

  it("never sees another collection's jobs: list, get, events, cancel", async () => {
    const jobs = (await (await call(keyA, '/api/jobs')).json()) as { jobs: Json[] };
    expect(jobs.jobs.map((j) => j.id)).toEqual([docs.a.job_id]);
    for (const path of ['', '/events']) {
      expect((await call(keyA, `/api/jobs/${docs.b.job_id}${path}`)).status, path).toBe(404);
    }
    expect((await call(keyA, `/api/jobs/${docs.b.job_id}/cancel`, { method: 'POST' })).status).toBe(404);
    expect((await (await call(keyB, `/api/jobs/${docs.b.job_id}`)).json()) as Json).toMatchObject({
      state: 'done',
    });
  });

  it('searches its collections only: no hits of another, even when it asks for them', async () => {
    const hits = async (key: string, body: Json) =>
      (
        (await (
          await call(key, '/api/search', { method: 'POST', json: { query: 'shared words', ...body } })
        ).json()) as {
          results: { document_id: number }[];
        }
      ).results.map((r) => r.document_id);
    expect(await hits(keyA, {})).toEqual([docs.a.id]);
    expect(await hits(keyA, { collection: 'b' })).toEqual([]);
    expect(await hits(keyA, { document: docs.b.id })).toEqual([]);
    expect((await hits(admin, {})).sort()).toEqual([docs.a.id, docs.b.id].sort());
  });

  it("follows only its collections' jobs on /api/events", async () => {
    const stream = await call(keyA, '/api/events');
    expect(stream.status).toBe(200);
    // B's document is read again first (seen done by B's key), then A's: a leaked B event would come first.
    const b = (await (await call(keyB, `${other()}/reingest`, { method: 'POST' })).json()) as {
      job: { id: number };
    };
    await readEvents(await call(keyB, `/api/jobs/${b.job.id}/events`));
    const a = (await (
      await call(keyA, `/api/documents/${docs.a.id}/reingest`, { method: 'POST' })
    ).json()) as {
      job: { id: number };
    };
    const events = await readEvents(stream, (e) => e.job_id === a.job.id && e.type === 'done');
    expect(events.at(-1)).toMatchObject({ type: 'done', job_id: a.job.id });
    expect(new Set(events.map((e) => e.job_id))).toEqual(new Set([a.job.id]));
  });

  it('may not upload into another collection (403), and uploads into its only one by default', async () => {
    const refused = await upload(keyA, 'b', 'sneaky.pdf', 'words for b');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { type: string; param: string } }).error).toMatchObject({
      type: 'permission_error',
      param: 'collection',
    });
    // Named after the files, the collection is checked before anything is added.
    const late = new FormData();
    late.append('file', new Blob([new Uint8Array(pdf('late words'))]), 'late.pdf');
    late.append('collection', 'b');
    expect((await call(keyA, '/api/documents', { method: 'POST', body: late })).status).toBe(403);
    await expect((await call(keyB, '/api/documents')).json()).resolves.toMatchObject({
      documents: [expect.objectContaining({ name: 'b.pdf' })],
    });
    const own = await upload(keyA, undefined, 'mine.pdf', 'words of my own');
    expect(own.status).toBe(202);
    const [entry] = ((await own.json()) as { documents: { id: number }[] }).documents;
    expect((await (await call(keyA, `/api/documents/${entry!.id}`)).json()) as Json).toMatchObject({
      collection: 'a',
    });
    // The same bytes as B's document: a document of A's own, with nothing of B's in the answer.
    const copy = await upload(keyA, 'a', 'copy.pdf', 'shared words of collection b');
    expect(copy.status).toBe(202);
    const body = JSON.stringify(await copy.json());
    expect(body).not.toContain('"status":"rejected"');
    expect(body).not.toContain('b.pdf');
    expect(body).not.toContain(`"id":${docs.b.id}`);
  });

  it('gives two keys uploading the same file a document each, in their own collection, one blob between them', async () => {
    const bytes = 'a file both teams received';
    const [fromA, fromB] = [
      await upload(keyA, 'a', 'memo.pdf', bytes),
      await upload(keyB, 'b', 'memo.pdf', bytes),
    ];
    type Entry = { id: number; status: string };
    const [a] = ((await fromA.json()) as { documents: Entry[] }).documents;
    const [b] = ((await fromB.json()) as { documents: Entry[] }).documents;
    expect([fromA.status, fromB.status, a!.status, b!.status]).toEqual([202, 202, 'added', 'added']);
    expect(a!.id).not.toBe(b!.id);
    const seen = async (key: string, id: number) => (await call(key, `/api/documents/${id}`)).status;
    expect([await seen(keyA, a!.id), await seen(keyA, b!.id), await seen(keyB, b!.id)]).toEqual([
      200, 404, 200,
    ]);
    // Again from A: the same document, no second one.
    const again = (
      (await (await upload(keyA, 'a', 'memo-again.pdf', bytes)).json()) as { documents: Entry[] }
    ).documents[0]!;
    expect(again).toMatchObject({ id: a!.id, status: 'duplicate' });
    const { documents } = (await (await call(admin, '/api/documents')).json()) as { documents: Json[] };
    expect(documents.filter((d) => d.name === 'memo.pdf').map((d) => d.collection)).toEqual(['a', 'b']);
  });

  it('gets 403 from the admin endpoints', async () => {
    expect((await call(keyA, '/api/models')).status).toBe(403);
    expect((await call(keyA, `/api/models/${DEFAULT_EMBEDDING_MODEL}/pull`, { method: 'POST' })).status).toBe(
      403,
    );
    expect((await call(keyA, `/api/models/${DEFAULT_EMBEDDING_MODEL}`, { method: 'DELETE' })).status).toBe(
      403,
    );
  });
});

describe('the admin model routes', () => {
  it('list the catalog with states and sizes', async () => {
    const { models } = (await (await call(admin, '/api/models')).json()) as { models: Json[] };
    expect(models.find((m) => m.name === DEFAULT_EMBEDDING_MODEL)).toMatchObject({
      state: 'absent',
      bytes: 0,
      total_bytes: expect.any(Number),
    });
  });

  it('stream download progress, then the error when the bytes are wrong', async () => {
    const response = await call(admin, `/api/models/${DEFAULT_EMBEDDING_MODEL}/pull`, { method: 'POST' });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readEvents(response);
    expect(events[0]).toMatchObject({
      type: 'progress',
      file: expect.any(String),
      bytes_done: expect.any(Number),
    });
    expect(events.at(-1)).toMatchObject({ error: { code: 'checksum_mismatch' } });
    expect((await call(admin, '/api/models/no-such-model/pull', { method: 'POST' })).status).toBe(404);
    expect((await call(admin, '/api/models/no-such-model', { method: 'DELETE' })).status).toBe(404);
  });
});
