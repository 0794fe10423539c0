import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocSight, type DocSight } from '../../app/docsight.js';
import { startIngestion, type Ingestion } from '../../app/ingest.js';
import { loadConfig } from '../../config/config.js';
import { buildPdf } from '../../read/intake/test-support/build-pdf.js';
import { writeHostileCorpus } from '../../read/intake/test-support/hostile-corpus.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { createHttpServer } from './server.js';

// One of each class of hostile file that ever hung, exhausted or poisoned a process (issue 13), uploaded to a
// live server that ingests them: every job ends with a result or a coded error, and the server goes on
// answering and ingesting. (Every file of the corpus goes through readDocument and one long-lived ingestion
// process in src/read/intake and src/ingest; this is the same through HTTP.)
const PICKED = [
  'mask-all-ones.bmp', // looped the BMP decoder
  'tiff-loop.tif',
  'bigtiff-entries.tif', // a directory walk of minutes
  'png-true-bomb.png',
  'pdf-form-fan-out.pdf', // 4^15 draws: exhausted and poisoned PDFium
  'pdf-inflate-400mb.pdf',
  'pdf-nested-17-30000.pdf', // a huge image behind nested forms
  'one-long-line.txt', // overflowed the stack
  'form-feeds.txt', // 100 000 pages from a text file
];

describe('hostile uploads to a live server', () => {
  const tempDir = useTempDirs('docsight-http-hostile-');
  let app: DocSight;
  let ingestion: Ingestion;
  let server: ReturnType<typeof createHttpServer>;
  let base: string;
  let corpus: string;
  beforeAll(async () => {
    app = createDocSight(
      loadConfig({
        env: {},
        // As the corpus tests: a lower PDF engine cap and time limit keep the bombs small enough for CI.
        flags: {
          home: tempDir(),
          intake: { pdfEngineMemoryBytes: 384 * 1024 * 1024, pdfPageTimeoutMs: 5000 },
        },
      }),
    );
    ingestion = await startIngestion(app, { pollMs: 50 });
    server = createHttpServer(app, { log: () => undefined, ingestion });
    await server.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    corpus = await mkdtemp(join(tmpdir(), 'docsight-http-corpus-'));
  });
  afterAll(async () => {
    await server?.close();
    await ingestion?.stop();
    await app?.close();
    rmSync(corpus, { recursive: true, force: true });
  });

  const upload = async (files: { name: string; bytes: Uint8Array }[]) => {
    const body = new FormData();
    body.append('collection', 'inbox');
    for (const f of files) body.append('file', new Blob([Buffer.from(f.bytes)]), f.name);
    const response = await fetch(`${base}/api/documents`, { method: 'POST', body });
    expect(response.status).toBe(202);
    return (
      (await response.json()) as { documents: { name: string; job_id: number | null; status: string }[] }
    ).documents;
  };

  it('ends every job with a result or a coded error, then still answers and ingests', async () => {
    const files = (await writeHostileCorpus(corpus)).filter((f) => PICKED.includes(basename(f.path)));
    expect(files.map((f) => basename(f.path)).sort()).toEqual([...PICKED].sort());
    const entries = await upload(files.map((f) => ({ name: basename(f.path), bytes: readFileSync(f.path) })));
    const jobs = entries.flatMap((e) => (e.job_id === null ? [] : [e.job_id]));
    await ingestion.settled(jobs);
    for (const id of jobs) {
      const job = (await (await fetch(`${base}/api/jobs/${id}`)).json()) as {
        state: string;
        error: { code: string; message: string } | null;
      };
      expect(['done', 'failed'], `job ${id}`).toContain(job.state);
      if (job.state === 'failed')
        expect(job.error?.code, `job ${id}: ${job.error?.message}`).toMatch(/^[a-z_]+$/);
    }

    expect((await fetch(`${base}/health`)).status).toBe(200);
    const pdf = buildPdf([{ texts: [{ text: 'The kingfisher report', x: 72, y: 700, size: 14 }] }]);
    const [valid] = await upload([{ name: 'valid.pdf', bytes: pdf }]);
    await ingestion.settled([valid!.job_id!]);
    const search = await fetch(`${base}/api/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'kingfisher' }),
    });
    const hits = ((await search.json()) as { results: { document_name: string }[] }).results;
    expect(hits.map((h) => h.document_name)).toEqual(['valid.pdf']);
    expect(await app.library().store.checkIntegrity()).toBe('ok');
  }, 240_000);
});
