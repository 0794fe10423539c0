import { EventEmitter } from 'node:events';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IngestEvents } from '../ingest/ingest-workers.js';
import type { Access } from './access.js';
import type { DocSight } from './docsight.js';
import {
  deleteDocuments,
  exportStoredDocument,
  getDocument,
  getDocumentFile,
  getPage,
  listDocuments,
  reingestDocument,
} from './documents.js';
import { addDocuments, processQueue, startIngestion } from './ingest.js';
import { cancelJob, followAllJobs, followJob, getJob, listJobs, type JobUpdate } from './jobs.js';
import { listModels, pullModel, removeModel } from './models.js';
import { search } from './search.js';
import { useAppsInTempHomes } from './test-support/app-in-temp-home.js';

const newApp = useAppsInTempHomes('docsight-app-access-');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const onlyA: Access = { kind: 'collections', collections: ['a'] };
const aAndC: Access = { kind: 'collections', collections: ['a', 'c'] };

let app: DocSight;
let inA: number;
let inB: number;
let jobA: number;
let jobB: number;
beforeAll(async () => {
  app = newApp();
  const a = await addDocuments(app, [{ name: 'alpha.txt', bytes: text('shared word alpha') }], {
    collection: 'a',
  });
  const b = await addDocuments(app, [{ name: 'beta.txt', bytes: text('shared word beta') }], {
    collection: 'b',
  });
  [jobA, jobB] = [a.jobIds[0]!, b.jobIds[0]!];
  await processQueue(app, { jobIds: [jobA, jobB] });
  inA = (a.outcomes[0] as { document: { id: number } }).document.id;
  inB = (b.outcomes[0] as { document: { id: number } }).document.id;
});

describe('a collection-scoped caller', () => {
  it('lists only documents and jobs of its collections, and nothing when it names another', async () => {
    expect((await listDocuments(app, {}, onlyA)).map((d) => d.name)).toEqual(['alpha.txt']);
    expect(await listDocuments(app, { collection: 'b' }, onlyA)).toEqual([]);
    expect((await listDocuments(app, {})).map((d) => d.name)).toEqual(['alpha.txt', 'beta.txt']);
    expect((await listJobs(app, {}, onlyA)).map((j) => j.id)).toEqual([jobA]);
  });

  it('finds no document or job of another collection: NOT_FOUND, as for an id never used', async () => {
    const unseen = [
      getDocument(app, inB, onlyA),
      getPage(app, inB, 1, onlyA),
      getDocumentFile(app, inB, onlyA),
      exportStoredDocument(app, inB, 'markdown', onlyA),
      reingestDocument(app, inB, onlyA),
      getJob(app, jobB, onlyA),
      cancelJob(app, jobB, onlyA),
      followJob(app, jobB, { access: onlyA }),
    ];
    for (const attempt of unseen) await expect(attempt).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const message = (id: number) =>
      getDocument(app, id, onlyA).then(
        () => 'found',
        (err: Error) => err.message,
      );
    const [never, other] = [await message(999), await message(inB)];
    expect(other).toBe(never.replace('999', String(inB)));
    expect(await deleteDocuments(app, [inB], onlyA)).toEqual({ removed: [], missing: [inB] });
    expect((await getDocument(app, inB)).name).toBe('beta.txt');
    expect((await getDocumentFile(app, inA, onlyA)).name).toBe('alpha.txt');
  });

  it('searches its own collections only', async () => {
    const names = async (access?: Access, collection?: string) =>
      (await search(app, { query: 'shared word', filters: { collection } }, access)).results.map(
        (r) => r.documentName,
      );
    expect((await names()).sort()).toEqual(['alpha.txt', 'beta.txt']);
    expect(await names(onlyA)).toEqual(['alpha.txt']);
    expect(await names(onlyA, 'b')).toEqual([]);
    const byDocument = await search(app, { query: 'beta', filters: { documentId: inB } }, onlyA);
    expect(byDocument.results).toEqual([]);
  });

  it('adds only to its collections: another is FORBIDDEN, none is its only one, or must be named; same bytes as another collection are its own document', async () => {
    await expect(
      addDocuments(app, [{ name: 'x.txt', bytes: text('x') }], { collection: 'b' }, onlyA),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', param: 'collection' });
    await expect(addDocuments(app, [{ name: 'x.txt', bytes: text('x') }], {}, aAndC)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    const added = await addDocuments(app, [{ name: 'own.txt', bytes: text('own words') }], {}, onlyA);
    expect(added.outcomes[0]).toMatchObject({ status: 'added', document: { collection: 'a' } });
    // The same bytes as a document it cannot see: a new document of its own, nothing of the other shown.
    const copy = await addDocuments(app, [{ name: 'copy.txt', bytes: text('shared word beta') }], {}, onlyA);
    expect(copy.outcomes[0]).toMatchObject({
      status: 'added',
      document: { name: 'copy.txt', collection: 'a' },
    });
    expect((copy.outcomes[0] as { document: { id: number } }).document.id).not.toBe(inB);
    expect(JSON.stringify(copy)).not.toContain('beta.txt');
    const again = await addDocuments(
      app,
      [{ name: 'copy2.txt', bytes: text('shared word beta') }],
      {},
      onlyA,
    );
    expect(again.outcomes[0]).toMatchObject({ status: 'duplicate', document: { name: 'copy.txt' } });
  });

  it('may not list, pull or delete models', async () => {
    for (const attempt of [
      listModels(app, onlyA),
      pullModel(app, 'x', {}, onlyA),
      removeModel(app, 'x', onlyA),
    ])
      await expect(attempt).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('following jobs', () => {
  it('gives the current state first, then progress and the end; the queue view is filtered by access', async () => {
    const own = newApp();
    const ingestion = await startIngestion(own, { pollMs: 20 });
    const controller = new AbortController();
    try {
      const all: JobUpdate[] = [];
      const scoped: JobUpdate[] = [];
      const collect = async (into: JobUpdate[], access?: Access) => {
        for await (const u of followAllJobs(own, ingestion, { access, signal: controller.signal }))
          into.push(u);
      };
      const watching = Promise.all([collect(all), collect(scoped, onlyA)]);
      const a = await addDocuments(own, [{ name: 'a.txt', bytes: text('in a') }], { collection: 'a' });
      const b = await addDocuments(own, [{ name: 'b.txt', bytes: text('in b') }], { collection: 'b' });
      const followed: JobUpdate[] = [];
      for await (const u of await followJob(own, a.jobIds[0]!, { ingestion, access: onlyA }))
        followed.push(u);
      expect(followed[0]).toMatchObject({ type: 'state', job: { id: a.jobIds[0] } });
      expect(followed.at(-1)).toMatchObject({ type: 'done', jobId: a.jobIds[0] });
      await ingestion.settled([...a.jobIds, ...b.jobIds]);
      // A late follower of an ended job gets its state and its end at once.
      const late: JobUpdate[] = [];
      for await (const u of await followJob(own, a.jobIds[0]!, { ingestion })) late.push(u);
      expect(late.map((u) => u.type)).toEqual(['state', 'done']);
      await new Promise((resolve) => setTimeout(resolve, 50));
      controller.abort();
      await watching;
      const jobsOf = (updates: JobUpdate[]) =>
        [...new Set(updates.map((u) => (u.type === 'state' ? u.job.id : u.jobId)))].sort();
      expect(jobsOf(all)).toEqual([...a.jobIds, ...b.jobIds].sort());
      expect(jobsOf(scoped)).toEqual(a.jobIds);
    } finally {
      await ingestion.stop();
    }
  });
});

describe('followJob', () => {
  it('passes on progress and a retry as they come, then the end as the job record has it', async () => {
    const own = newApp();
    const { jobIds, outcomes } = await addDocuments(own, [{ name: 'slow.txt', bytes: text('slow') }]);
    const [jobId, documentId] = [jobIds[0]!, (outcomes[0] as { document: { id: number } }).document.id];
    // The ingestion's events, emitted by hand: the job's record is changed as a worker would change it.
    const events = new EventEmitter<IngestEvents>();
    const updates = await followJob(own, jobId, { ingestion: { events }, pollMs: 60_000 });
    const first = await updates.next();
    expect(first.value).toMatchObject({ type: 'state', job: { id: jobId, state: 'queued', pagesDone: 0 } });
    events.emit('progress', { jobId: 999, documentId: 999, pagesDone: 1, pagesTotal: 1 });
    events.emit('progress', { jobId, documentId, pagesDone: 1, pagesTotal: 3 });
    events.emit('job', {
      jobId,
      documentId,
      state: 'queued',
      error: 'engine hiccup',
      errorCode: 'ENGINE_FAILED',
    });
    await own.library().store.cancelJob(jobId);
    events.emit('job', { jobId, documentId, state: 'cancelled' });
    const rest: JobUpdate[] = [];
    for await (const u of updates) rest.push(u);
    expect(rest).toEqual([
      { type: 'progress', jobId, documentId, pagesDone: 1, pagesTotal: 3 },
      { type: 'retrying', jobId, documentId, error: { code: 'engine_failed', message: 'engine hiccup' } },
      { type: 'cancelled', jobId, documentId },
    ]);
  });
});
