import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { DocSightError } from '../errors.js';
import { openLibrary, type Library } from '../store/library.js';
import { addToLibrary } from './add-to-library.js';
import { startIngestWorkers, type IngestWorkers } from './ingest-workers.js';
import type { PageReader } from './page-reader.js';
import { readPlainTextPages } from './plain-text-reader.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempLibrary(): Library {
  const home = mkdtempSync(join(tmpdir(), 'docsight-ingest-'));
  const lib = openLibrary(home);
  cleanups.push(
    () => rmSync(home, { recursive: true, force: true }),
    () => lib.close(),
  );
  return lib;
}

function start(options: Parameters<typeof startIngestWorkers>[0]): IngestWorkers {
  const workers = startIngestWorkers({ pollMs: 20, retryBaseMs: 10, ...options });
  cleanups.push(() => workers.stop());
  return workers;
}

const text = (s: string) => new TextEncoder().encode(s);

describe('ingest workers', () => {
  it('reads, chunks and indexes a document, reporting progress page by page', async () => {
    const library = tempLibrary();
    const { job } = await addToLibrary(library, {
      bytes: text('First page: invoice\fSecond page: 增值税专用发票'),
      name: 'two.txt',
    });
    const workers = start({ library, readPages: readPlainTextPages });
    const progress: number[] = [];
    workers.events.on('progress', (p) => progress.push(p.pagesDone));
    await workers.idle();
    expect(progress).toEqual([0, 1, 2]); // 0 of 2 as soon as the page count is known
    expect(await library.store.getJob(job!.id)).toMatchObject({ state: 'done', pagesDone: 2, pagesTotal: 2 });
    expect(
      (await library.store.searchChunks({ terms: ['发票'], match: 'all' }, {}, 5)).map((h) => h.page),
    ).toEqual([2]);
  });

  it('adds the same bytes once and queues no second job', async () => {
    const library = tempLibrary();
    const first = await addToLibrary(library, { bytes: text('same'), name: 'a.txt' });
    const again = await addToLibrary(library, { bytes: text('same'), name: 'b.txt' });
    expect(again).toMatchObject({ duplicate: true, document: { id: first.document.id } });
    expect(again.job?.id).toBe(first.job!.id); // still queued: the same job
    await expect(addToLibrary(library, { bytes: new Uint8Array(), name: 'empty.txt' })).rejects.toMatchObject(
      {
        code: 'EMPTY_FILE',
      },
    );
  });

  it('records a bad file as failed without retrying it, and goes on with the queue', async () => {
    const library = tempLibrary();
    const bad = await addToLibrary(library, { bytes: text('not really a pdf'), name: 'bad.pdf' });
    const good = await addToLibrary(library, { bytes: text('good text'), name: 'good.txt' });
    // A reader that rejects one file the way the intake does for an unknown type.
    const reader: PageReader = (source, options) => {
      if (source.name === 'bad.pdf') {
        return {
          [Symbol.asyncIterator]: () => ({
            next: () =>
              Promise.reject(new DocSightError('UNSUPPORTED_TYPE', 'bad.pdf: not an image or PDF.')),
          }),
        };
      }
      return readPlainTextPages(source, options);
    };
    const workers = start({ library, readPages: reader });
    await workers.idle();
    expect(await library.store.getJob(bad.job!.id)).toMatchObject({
      state: 'failed',
      attempts: 1,
      errorCode: 'UNSUPPORTED_TYPE',
      error: 'bad.pdf: not an image or PDF.',
    });
    expect((await library.store.getDocument(bad.document.id))!.status).toBe('failed');
    expect((await library.store.getJob(good.job!.id))!.state).toBe('done');
  });

  it('retries a transient engine failure with backoff and finishes', async () => {
    const library = tempLibrary();
    const { job } = await addToLibrary(library, { bytes: text('p1\fp2\fp3'), name: 'flaky.txt' });
    let calls = 0;
    const skipped: number[][] = [];
    // Fails once after the first page, as an OCR engine crash would.
    const flaky: PageReader = async function* (source, options) {
      calls++;
      skipped.push([...(options.skipPages ?? [])]);
      for await (const page of readPlainTextPages(source, options)) {
        if (calls === 1 && page.page === 2) throw new DocSightError('ENGINE_FAILED', 'OCR worker died.');
        yield page;
      }
    };
    const workers = start({ library, readPages: flaky });
    const states: string[] = [];
    workers.events.on('job', (e) => states.push(e.state));
    await workers.settled([job!.id]); // waits through the scheduled retry, unlike idle()
    expect(states).toEqual(['queued', 'done']);
    expect(await library.store.getJob(job!.id)).toMatchObject({ state: 'done', attempts: 2, pagesDone: 3 });
    expect((await library.store.stats()).pages).toBe(3);
    // The retry is told which page the first attempt already stored, so it need not be read (OCR'd) again.
    expect(skipped).toEqual([[], [1]]);
  });

  it('cancels a running job', async () => {
    const library = tempLibrary();
    const pages = Array.from({ length: 50 }, (_, i) => `page ${i}`).join('\f');
    const { job } = await addToLibrary(library, { bytes: text(pages), name: 'long.txt' });
    const slow: PageReader = async function* (source, options) {
      for await (const page of readPlainTextPages(source, options)) {
        await sleep(20);
        yield page;
      }
    };
    const workers = start({ library, readPages: slow });
    await new Promise<void>((resolve) => workers.events.once('progress', () => resolve()));
    await workers.cancel(job!.id);
    await workers.idle();
    const after = await library.store.getJob(job!.id);
    expect(after!.state).toBe('cancelled');
    expect(after!.pagesDone).toBeLessThan(50);
  });

  it('ends settled() when a job left running by killed processes has no attempt left, failing it with why', async () => {
    const library = tempLibrary();
    const poison = await addToLibrary(library, { bytes: text('hangs its reader'), name: 'poison.txt' });
    const fine = await addToLibrary(library, { bytes: text('an ordinary note'), name: 'fine.txt' });
    // Three processes took the poison job and died holding it: its leases ran out, attempts are spent.
    // (A lease that ended a moment ago: as if each process was killed right after it took the job.)
    for (let i = 0; i < 3; i++)
      expect((await library.store.claimNextJob(Date.now(), -1))?.id).toBe(poison.job!.id);
    const workers = start({ library, readPages: readPlainTextPages });
    await workers.settled();
    expect(await library.store.getJob(poison.job!.id)).toMatchObject({ state: 'failed', attempts: 3 });
    expect((await library.store.getJob(poison.job!.id))!.error).toMatch(/killed or crashed\) 3 time/);
    expect(await library.store.getJob(fine.job!.id)).toMatchObject({ state: 'done', attempts: 1 });
  });
});
