import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPdf } from '../read/intake/test-support/build-pdf.js';
import { addDocuments, processQueue, startIngestion } from './ingest.js';
import { useAppsInTempHomes } from './test-support/app-in-temp-home.js';

const newApp = useAppsInTempHomes('docsight-app-ingest-');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const letter = buildPdf([
  { texts: [{ text: 'Dear Sir, thank you.', x: 72, y: 700, size: 12 }] },
  { texts: [{ text: 'Yours, A. Smith', x: 72, y: 700, size: 12 }] },
]);

describe('addDocuments + processQueue', () => {
  it('adds bytes, skips a bad input, reads and indexes them, and reports each job', async () => {
    const app = newApp();
    const seen: string[] = [];
    const summary = await addDocuments(
      app,
      [
        { name: 'invoice.txt', bytes: text('上海增值税专用发票\nTOTAL 112.45') },
        { name: 'empty.pdf', bytes: new Uint8Array() },
        { name: 'letter.pdf', bytes: async () => letter },
      ],
      { collection: 'inbox', tags: ['2024'], onResult: (r) => seen.push(`${r.index} ${r.status}`) },
    );
    expect(seen).toEqual(['0 added', '1 rejected', '2 added']);
    expect(summary).toMatchObject({ added: 2, duplicates: 0, rejected: 1 });
    expect(summary.outcomes[1]).toMatchObject({ status: 'rejected', error: { code: 'EMPTY_FILE' } });
    expect(summary.jobIds).toHaveLength(2);

    const jobs: string[] = [];
    const pages: number[] = [];
    const result = await processQueue(app, {
      jobIds: summary.jobIds,
      onProgress: (p) => pages.push(p.pagesDone),
      onJob: (e) => jobs.push(`${e.state} ${e.job?.documentName} ${e.job?.pagesDone}`),
    });
    expect(result).toEqual({ done: 2, failed: 0, cancelled: 0, truncatedChunks: 0 });
    expect(jobs.sort()).toEqual(['done invoice.txt 1', 'done letter.pdf 2']);
    expect(pages).toContain(2);
    const docs = await app.library().store.listDocuments();
    expect(docs.map((d) => [d.name, d.status, d.pageCount, d.collection, d.tags])).toEqual(
      expect.arrayContaining([
        ['invoice.txt', 'ready', 1, 'inbox', ['2024']],
        ['letter.pdf', 'ready', 2, 'inbox', ['2024']],
      ]),
    );
  });

  it('treats the same bytes again as a duplicate with nothing to queue', async () => {
    const app = newApp();
    const first = await addDocuments(app, [{ name: 'a.txt', bytes: text('hello') }]);
    await processQueue(app, { jobIds: first.jobIds });
    const again = await addDocuments(app, [{ name: 'b.txt', bytes: text('hello') }]);
    expect(again).toMatchObject({ added: 0, duplicates: 1, jobIds: [] });
    expect(again.outcomes[0]).toMatchObject({ status: 'duplicate', document: { name: 'a.txt' } });
  });

  it('stores streamed inputs and temporary files without reading them whole: type from the first bytes, the same document as the bytes', async () => {
    const app = newApp({ intake: { maxFileBytes: 64 * 1024 } });
    async function* inPieces(bytes: Uint8Array, size: number) {
      for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
    }
    const upload = join(app.config.home, 'upload-notes');
    writeFileSync(upload, 'uploaded notes\n');
    const summary = await addDocuments(app, [
      { name: 'letter.pdf', stream: () => inPieces(letter, 100) },
      { name: 'uploaded.txt', temporaryFile: upload },
      { name: 'same letter.pdf', bytes: letter },
      { name: 'notes.txt', stream: () => inPieces(text('line one\nline two'), 3) },
      { name: 'nothing.pdf', stream: () => inPieces(new Uint8Array(), 1) },
      { name: 'huge.txt', stream: () => inPieces(new Uint8Array(100 * 1024).fill(65), 8192) },
    ]);
    expect(summary.outcomes.map((o) => (o.status === 'rejected' ? o.error.code : o.status))).toEqual([
      'added',
      'added',
      'duplicate',
      'added',
      'EMPTY_FILE',
      'FILE_TOO_LARGE',
    ]);
    const docs = await app.library().store.listDocuments();
    expect(docs.map((d) => [d.name, d.mime, d.sizeBytes])).toEqual([
      ['letter.pdf', 'application/pdf', letter.length],
      ['uploaded.txt', 'text/plain', 15],
      ['notes.txt', 'text/plain', 17],
    ]);
    expect(existsSync(upload)).toBe(false); // it became the blob
    // Nothing of the refused streams is left in the blob store.
    expect(
      app
        .library()
        .blobs.list()
        .map((b) => b.sha256)
        .sort(),
    ).toEqual(docs.map((d) => d.sha256).sort());
    await processQueue(app, { jobIds: summary.jobIds });
    expect((await app.library().store.getDocument(docs[0]!.id))?.pageCount).toBe(2);
  });

  it('stops when the signal aborts mid-run, leaving the job queued to resume', async () => {
    const app = newApp();
    const page = { texts: [{ text: 'A page of a long report.', x: 72, y: 700, size: 12 }] };
    const { jobIds } = await addDocuments(app, [{ name: 'long.pdf', bytes: buildPdf(Array(40).fill(page)) }]);
    const controller = new AbortController();
    const run = processQueue(app, {
      jobIds,
      onProgress: (p) => {
        if (p.pagesDone >= 1) controller.abort();
      },
      signal: controller.signal,
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    const job = (await app.library().store.getJob(jobIds[0]!))!;
    expect(job.state).toBe('queued');
    expect(job.pagesDone).toBeLessThan(40);
  });

  it('refuses to start once the signal is aborted', async () => {
    const app = newApp();
    const controller = new AbortController();
    controller.abort();
    await expect(processQueue(app, { signal: controller.signal })).rejects.toMatchObject({
      code: 'CANCELLED',
    });
  });
});

describe('startIngestion', () => {
  it('keeps running and emits events for documents added after it started', async () => {
    const app = newApp();
    const ingestion = await startIngestion(app, { pollMs: 20 });
    try {
      const events: string[] = [];
      ingestion.events.on('job', (e) => events.push(e.state));
      const { jobIds } = await addDocuments(app, [{ name: 'late.pdf', bytes: letter }]);
      await ingestion.settled(jobIds);
      expect(events).toEqual(['done']);
    } finally {
      await ingestion.stop();
    }
  });
});
