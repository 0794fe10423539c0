import type { AddressInfo } from 'node:net';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocSight, type DocSight } from '../../app/docsight.js';
import { startIngestion, type Ingestion } from '../../app/ingest.js';
import { loadConfig } from '../../config/config.js';
import { buildPdf } from '../../read/intake/test-support/build-pdf.js';
import { renderTextPng } from '../../read/intake/test-support/render-text.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { createHttpServer } from './server.js';
import { readEvents } from './test-support/server-sent-events.js';

// A real server on an ephemeral port over a real library (SQLite, blobs, OCR) in a temporary home, with the
// ingestion running as `docsight serve` runs it. Documents are made at test time.
const tempDir = useTempDirs('docsight-http-documents-');

async function startServer(flags: object = {}): Promise<{
  app: DocSight;
  ingestion: Ingestion;
  server: FastifyInstance;
  base: string;
  home: string;
}> {
  const home = tempDir();
  const app = createDocSight(loadConfig({ env: {}, flags: { ...flags, home } }), { ocrThread: 'main' });
  const ingestion = await startIngestion(app, { pollMs: 50 });
  const server = createHttpServer(app, { log: () => undefined, ingestion });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  return { app, ingestion, server, base, home };
}

const report = buildPdf([
  { texts: [{ text: 'Quarterly report of the zebra crossing survey', x: 72, y: 700, size: 14 }] },
  { texts: [{ text: 'Appendix: counts by street', x: 72, y: 700, size: 12 }] },
]);

type Json = Record<string, unknown>;
type Entry = { id: number; name: string; job_id: number; status: string; error?: { code: string } };

function form(
  files: { name: string; bytes: Uint8Array; type?: string }[],
  fields: Record<string, string> = {},
) {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  for (const f of files)
    body.append(
      'file',
      new Blob([new Uint8Array(f.bytes)], { type: f.type ?? 'application/octet-stream' }),
      f.name,
    );
  return body;
}

describe('documents over HTTP: upload, follow, search, look at, export, delete', () => {
  let s: Awaited<ReturnType<typeof startServer>>;
  let pdf: Entry;
  let image: Entry;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => {
    await s?.server.close();
    await s?.ingestion.stop();
    await s?.app.close();
  });

  it('takes a PDF and an image in one multipart request and answers 202 with their jobs', async () => {
    const png = await renderTextPng('Parcel 7 delivered');
    const response = await fetch(`${s.base}/api/documents`, {
      method: 'POST',
      body: form(
        [
          { name: 'report.pdf', bytes: report, type: 'application/pdf' },
          { name: '收据 scan.png', bytes: png, type: 'image/png' },
          { name: 'empty.txt', bytes: new Uint8Array() },
        ],
        { collection: 'inbox', tags: 'survey, 2024' },
      ),
    });
    expect(response.status).toBe(202);
    const { documents } = (await response.json()) as { documents: Entry[] };
    [pdf, image] = [documents[0]!, documents[1]!];
    expect(documents.map((d) => [d.name, d.status])).toEqual([
      ['report.pdf', 'added'],
      ['收据 scan.png', 'added'],
      ['empty.txt', 'rejected'],
    ]);
    expect(documents[2]).toMatchObject({ id: null, job_id: null, error: { code: 'empty_file' } });
    expect(pdf.job_id).toEqual(expect.any(Number));
    // Temporary upload files are gone once the request is answered.
    expect(readdirSync(join(s.home, 'tmp'))).toEqual([]);
  });

  it("streams each job's events: its state first, then (after any progress) done, and the stream ends", async () => {
    for (const entry of [pdf, image]) {
      const response = await fetch(`${s.base}/api/jobs/${entry.job_id}/events`);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const events = await readEvents(response);
      expect(events[0]).toMatchObject({ type: 'state', job: { id: entry.job_id, document_id: entry.id } });
      expect(events.at(-1)).toEqual({ type: 'done', job_id: entry.job_id, document_id: entry.id });
    }
    const job = (await (await fetch(`${s.base}/api/jobs/${pdf.job_id}`)).json()) as Json;
    expect(job).toMatchObject({ state: 'done', pages_done: 2, pages_total: 2, error: null });
    // A late subscriber to an ended job still learns where it is, and the stream ends.
    const late = await readEvents(await fetch(`${s.base}/api/jobs/${pdf.job_id}/events`));
    expect(late.map((e) => e.type)).toEqual(['state', 'done']);
    const listed = (await (await fetch(`${s.base}/api/jobs?state=done`)).json()) as { jobs: Json[] };
    expect(listed.jobs.map((j) => j.id).sort()).toEqual([pdf.job_id, image.job_id].sort());
  });

  it('finds a word only the PDF holds, with the boxes of its line', async () => {
    const response = await fetch(`${s.base}/api/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'zebra', k: 5 }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { mode: string; results: Json[] };
    expect(body.mode).toBe('bm25');
    expect(body.results).toHaveLength(1);
    const [hit] = body.results as {
      document_id: number;
      document_name: string;
      page: number;
      snippet: string;
      boxes: number[][];
    }[];
    expect(hit).toMatchObject({ document_id: pdf.id, document_name: 'report.pdf', page: 1 });
    expect(hit!.snippet).toContain('[zebra]');
    expect(hit!.boxes).toHaveLength(1);
    expect(hit!.boxes[0]).toHaveLength(8);
    const filtered = await fetch(`${s.base}/api/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'zebra', type: 'image/' }),
    });
    expect(((await filtered.json()) as { results: unknown[] }).results).toEqual([]);
  });

  it('counts the pages it ingested in /metrics', async () => {
    const metrics = await (await fetch(`${s.base}/metrics`)).text();
    // The PDF and the image of the first test: at least their first pages, written after the job opened them.
    expect(Number(/^docsight_ingested_pages_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/^docsight_ingest_job_failures_total 0/m);
    // The image was read by OCR (the PDF has a text layer): one page timed.
    expect(Number(/^docsight_ocr_seconds_per_page_count (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(
      1,
    );
  });

  it('lists and filters documents, and shows one with its pages', async () => {
    const list = async (query: string) =>
      (
        (await (await fetch(`${s.base}/api/documents${query}`)).json()) as { documents: Json[] }
      ).documents.map((d) => d.name);
    expect(await list('')).toEqual(['report.pdf', '收据 scan.png']);
    expect(await list('?type=image/')).toEqual(['收据 scan.png']);
    expect(await list('?tag=survey&tag=2024&status=ready')).toEqual(['report.pdf', '收据 scan.png']);
    expect(await list('?collection=elsewhere')).toEqual([]);
    expect(await list('?until=2000-01-01')).toEqual([]);
    expect(await list('?limit=1&offset=1')).toEqual(['收据 scan.png']);
    expect((await fetch(`${s.base}/api/documents?since=yesterday`)).status).toBe(400);

    const doc = (await (await fetch(`${s.base}/api/documents/${pdf.id}`)).json()) as Json;
    expect(doc).toMatchObject({
      id: pdf.id,
      name: 'report.pdf',
      mime: 'application/pdf',
      status: 'ready',
      page_count: 2,
      collection: 'inbox',
      tags: ['2024', 'survey'],
      error: null,
    });
    expect(doc.pages).toEqual([
      expect.objectContaining({ page: 1, source: 'text-layer', line_count: 1, has_image: true }),
      expect.objectContaining({ page: 2, source: 'text-layer', line_count: 1 }),
    ]);
  });

  it('gives page lines with boxes, the page image, a cached thumbnail and the original file', async () => {
    const page = (await (await fetch(`${s.base}/api/documents/${pdf.id}/pages/1`)).json()) as {
      lines: { text: string; box: number[] }[];
    };
    expect(page.lines[0]!.text).toBe('Quarterly report of the zebra crossing survey');
    expect(page.lines[0]!.box).toHaveLength(8);
    const ocrPage = (await (await fetch(`${s.base}/api/documents/${image.id}/pages/1`)).json()) as Json;
    expect(ocrPage).toMatchObject({ source: 'ocr' });
    expect(JSON.stringify(ocrPage.lines)).toMatch(/Parcel/);
    expect((await fetch(`${s.base}/api/documents/${pdf.id}/pages/3`)).status).toBe(404);

    const picture = await fetch(`${s.base}/api/documents/${pdf.id}/pages/1/image`);
    expect(picture.headers.get('content-type')).toBe('image/png');
    expect((await sharp(Buffer.from(await picture.arrayBuffer())).metadata()).format).toBe('png');

    const thumbnail = await fetch(`${s.base}/api/documents/${pdf.id}/pages/1/thumbnail`);
    expect(thumbnail.headers.get('content-type')).toBe('image/jpeg');
    expect(thumbnail.headers.get('cache-control')).toBe('private, max-age=300');
    const meta = await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata();
    expect([meta.format, meta.width]).toEqual(['jpeg', 256]);
    const again = await fetch(`${s.base}/api/documents/${pdf.id}/pages/1/thumbnail`, {
      headers: { 'if-none-match': thumbnail.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    expect((await fetch(`${s.base}/api/documents/${pdf.id}/pages/1/thumbnail?width=9999`)).status).toBe(400);

    const file = await fetch(`${s.base}/api/documents/${image.id}/file`);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(file.headers.get('content-disposition')).toBe(
      `attachment; filename="__ scan.png"; filename*=UTF-8''%E6%94%B6%E6%8D%AE%20scan.png`,
    );
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    const original = Buffer.from(await (await fetch(`${s.base}/api/documents/${pdf.id}/file`)).arrayBuffer());
    expect(original.equals(Buffer.from(report))).toBe(true);
  });

  it('exports Markdown and the documented JSON', async () => {
    const markdown = await fetch(`${s.base}/api/documents/${pdf.id}/export?format=markdown`);
    expect(markdown.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(await markdown.text()).toBe(
      '# report.pdf\n\n## Page 1\n\nQuarterly report of the zebra crossing survey\n\n## Page 2\n\nAppendix: counts by street\n',
    );
    const json = (await (await fetch(`${s.base}/api/documents/${pdf.id}/export?format=json`)).json()) as {
      pages: { page: number; lines: { text: string }[] }[];
    };
    expect(json.pages.map((p) => [p.page, p.lines[0]!.text])).toEqual([
      [1, 'Quarterly report of the zebra crossing survey'],
      [2, 'Appendix: counts by street'],
    ]);
    expect((await fetch(`${s.base}/api/documents/${pdf.id}/export?format=docx`)).status).toBe(400);
  });

  it('reads a document again on request, and deletes it: then it is 404 and search no longer finds it', async () => {
    const reingest = await fetch(`${s.base}/api/documents/${image.id}/reingest`, { method: 'POST' });
    expect(reingest.status).toBe(202);
    const { job } = (await reingest.json()) as { job: { id: number } };
    const events = await readEvents(await fetch(`${s.base}/api/jobs/${job.id}/events`));
    expect(events.at(-1)).toMatchObject({ type: 'done' });

    expect((await fetch(`${s.base}/api/documents/${pdf.id}`, { method: 'DELETE' })).status).toBe(200);
    for (const path of ['', '/pages/1', '/pages/1/image', '/file', '/export']) {
      expect((await fetch(`${s.base}/api/documents/${pdf.id}${path}`)).status).toBe(404);
    }
    expect((await fetch(`${s.base}/api/documents/${pdf.id}`, { method: 'DELETE' })).status).toBe(404);
    const search = await fetch(`${s.base}/api/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'zebra' }),
    });
    expect(((await search.json()) as { results: unknown[] }).results).toEqual([]);
  });

  it('refuses uploads that are not multipart, hold no file, or use unknown fields', async () => {
    const json = await fetch(`${s.base}/api/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(415);
    const none = await fetch(`${s.base}/api/documents`, {
      method: 'POST',
      body: form([], { collection: 'x' }),
    });
    expect(none.status).toBe(400);
    const odd = new FormData();
    odd.append('attachment', new Blob([new Uint8Array(report)]), 'a.pdf');
    const wrongName = await fetch(`${s.base}/api/documents`, { method: 'POST', body: odd });
    expect(wrongName.status).toBe(400);
    expect(((await wrongName.json()) as { error: { param: string } }).error.param).toBe('attachment');
  });

  it('lists every new route in /openapi.json', async () => {
    const openapi = (await (await fetch(`${s.base}/openapi.json`)).json()) as { paths: Record<string, Json> };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/api/documents',
        '/api/documents/{id}',
        '/api/documents/{id}/pages/{n}',
        '/api/documents/{id}/pages/{n}/image',
        '/api/documents/{id}/pages/{n}/thumbnail',
        '/api/documents/{id}/file',
        '/api/documents/{id}/export',
        '/api/documents/{id}/reingest',
        '/api/jobs',
        '/api/jobs/{id}',
        '/api/jobs/{id}/cancel',
        '/api/jobs/{id}/events',
        '/api/events',
        '/api/search',
        '/api/models',
        '/api/models/{name}/pull',
        '/api/models/{name}',
      ]),
    );
    const upload = openapi.paths['/api/documents']!.post as { requestBody: { content: Json } };
    expect(Object.keys(upload.requestBody.content)).toEqual(['multipart/form-data']);
  });
});

describe('upload limits', () => {
  let s: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    s = await startServer({ intake: { maxFileBytes: 4096 } });
  });
  afterAll(async () => {
    await s?.server.close();
    await s?.ingestion.stop();
    await s?.app.close();
  });

  it('answers 413 FILE_TOO_LARGE for a file over intake.maxFileBytes and keeps nothing of it', async () => {
    const response = await fetch(`${s.base}/api/documents`, {
      method: 'POST',
      body: form([{ name: 'big.txt', bytes: new Uint8Array(10_000).fill(65) }]),
    });
    expect(response.status).toBe(413);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('file_too_large');
    expect(error.message).toContain('intake.maxFileBytes');
    expect(readdirSync(join(s.home, 'tmp'))).toEqual([]);
    expect(
      ((await (await fetch(`${s.base}/api/documents`)).json()) as { documents: unknown[] }).documents,
    ).toEqual([]);
  });

  it('refuses more than 100 files in one request', async () => {
    const files = Array.from({ length: 101 }, (_, i) => ({
      name: `${i}.txt`,
      bytes: new TextEncoder().encode(`n${i}`),
    }));
    const response = await fetch(`${s.base}/api/documents`, { method: 'POST', body: form(files) });
    expect(response.status).toBe(400);
    expect(readdirSync(join(s.home, 'tmp'))).toEqual([]);
  });
});

describe('jobs without ingestion in this process, and closing the server', () => {
  it('cancels a queued job; its event stream, read from the job record, ends with cancelled', async () => {
    const app = createDocSight(loadConfig({ env: {}, flags: { home: tempDir() } }), { ocrThread: 'main' });
    const server = createHttpServer(app, { log: () => undefined });
    try {
      await server.listen({ host: '127.0.0.1', port: 0 });
      const base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
      const uploaded = await fetch(`${base}/api/documents`, {
        method: 'POST',
        body: form([{ name: 'queued.pdf', bytes: report }]),
      });
      const [entry] = ((await uploaded.json()) as { documents: Entry[] }).documents;
      const events = readEvents(await fetch(`${base}/api/jobs/${entry!.job_id}/events`));
      const cancelled = await fetch(`${base}/api/jobs/${entry!.job_id}/cancel`, { method: 'POST' });
      expect((await cancelled.json()) as Json).toMatchObject({ id: entry!.job_id, state: 'cancelled' });
      expect((await events).map((e) => e.type)).toEqual(['state', 'cancelled']);
      // No ingestion here, so no stream of every job's events.
      expect((await fetch(`${base}/api/events`)).status).toBe(404);
    } finally {
      await server.close();
      await app.close();
    }
  });

  it('ends open event streams when the server closes, so closing never waits for them', async () => {
    const s = await startServer();
    try {
      const stream = await fetch(`${s.base}/api/events`);
      expect(stream.status).toBe(200);
      const ended = readEvents(stream);
      await s.server.close();
      expect(await ended).toEqual([]);
    } finally {
      await s.ingestion.stop();
      await s.app.close();
    }
  });
});
