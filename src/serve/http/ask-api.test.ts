import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocSight, type DocSight } from '../../app/docsight.js';
import { addDocument, processQueue } from '../../app/ingest.js';
import { createKey } from '../../app/keys.js';
import { loadConfig, type ConfigOverrides } from '../../config/config.js';
import { buildPdf } from '../../read/intake/test-support/build-pdf.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { tinyModel } from '../../understand/engine/test-support/test-models.js';
import { createHttpServer } from './server.js';
import { eventStreamFrames } from './test-support/event-stream-frames.js';

// A real server on an ephemeral port over a real library (PDFs made and ingested at test time) and the tiny
// synthetic Qwen3-VL: its answers are gibberish, so these tests check the plumbing — passages from the right
// document, citations that only ever point at retrieved passages with their boxes, streaming, cancellation,
// the no-model path — never the wording.
const tempDir = useTempDirs('docsight-http-ask-');

interface Passage {
  number: number;
  document_name: string;
  pages: number[];
  lines: { page: number; box: number[]; text: string }[];
}
interface Citation {
  document_id: number;
  page: number;
  boxes: number[][];
  quote: string;
  passage: number;
}
interface AskBody {
  answer: string | null;
  reason?: string;
  passages: Passage[];
  citations: Citation[];
  stats: Record<string, unknown>;
}

const pdf = (lines: string[]) =>
  buildPdf([{ texts: lines.map((text, i) => ({ text, x: 60, y: 760 - i * 30, size: 12 })) }]);

async function startServer(flags: Omit<ConfigOverrides, 'home'>) {
  const app = createDocSight(loadConfig({ env: {}, flags: { ...flags, home: tempDir() } }), {
    ocrThread: 'main',
  });
  const jobs = [
    (
      await addDocument(
        app,
        { name: 'invoice.pdf', bytes: pdf(['Invoice 2041', 'Total due 3550.00 EUR']) },
        { collection: 'invoices' },
      )
    ).job!.id,
    (
      await addDocument(
        app,
        { name: 'lease.pdf', bytes: pdf(['Lease signed by Marta Ruiz', 'Rent 900 EUR']) },
        { collection: 'contracts' },
      )
    ).job!.id,
  ];
  await processQueue(app, { jobIds: jobs });
  const server = createHttpServer(app, { log: () => undefined });
  await server.listen({ host: '127.0.0.1', port: 0 });
  return { app, server, base: `http://127.0.0.1:${(server.server.address() as AddressInfo).port}` };
}

const post = (base: string, body: object, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  fetch(`${base}/api/ask`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal,
  });

/** Every citation names a retrieved passage, on one of its pages, with exactly that passage's boxes there. */
function expectCitationsOfPassages(citations: Citation[], passages: Passage[]) {
  for (const c of citations) {
    const passage = passages.find((p) => p.number === c.passage)!;
    expect(passage.pages).toContain(c.page);
    const lines = passage.lines.filter((l) => l.page === c.page);
    expect(c.boxes).toEqual(lines.map((l) => l.box));
    expect(c.quote).toBe(
      lines
        .map((l) => l.text)
        .join('\n')
        .trim(),
    );
  }
}

describe('POST /api/ask', () => {
  let app: DocSight;
  let server: FastifyInstance;
  let base: string;
  let modelDir: string;
  let bare: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    const model = await tinyModel();
    modelDir = model.dir;
    ({ app, server, base } = await startServer({
      understand: { modelPath: model.model, mmprojPath: model.mmproj, threads: 1, slots: 1 },
    }));
    // The same library on a server whose configuration names no model it has.
    bare = await startServer({});
  }, 120_000);
  afterAll(async () => {
    for (const s of [server, bare?.server]) await s?.close();
    for (const a of [app, bare?.app]) await a?.close();
    await rm(modelDir, { recursive: true, force: true });
  });

  it('answers in one JSON body: passages from the matching document, citations of those passages, stats', async () => {
    const response = await post(base, { query: 'What is the total due?', stream: false, max_tokens: 6 });
    expect(response.status).toBe(200);
    const body = (await response.json()) as AskBody;
    expect(body.passages[0]).toMatchObject({ number: 1, document_name: 'invoice.pdf', pages: [1] });
    expect(body.passages[0]!.lines.map((l) => l.text)).toContain('Total due 3550.00 EUR');
    expect(typeof body.answer).toBe('string');
    expectCitationsOfPassages(body.citations, body.passages);
    expect(body.stats).toMatchObject({ retrieval: 'bm25', passages: body.passages.length });
    expect(body.stats.images_encoded).toBeGreaterThanOrEqual(1);
  });

  it('streams the passages, then text pieces, then done with citations and stats', async () => {
    const response = await post(base, { query: 'Who signed the lease?', max_tokens: 6 });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const frames = [] as { type: string; [key: string]: unknown }[];
    for await (const frame of eventStreamFrames(response)) frames.push(frame as (typeof frames)[number]);
    expect(frames[0]!.type).toBe('passages');
    expect(frames.slice(1, -1).every((f) => f.type === 'text' && typeof f.text === 'string')).toBe(true);
    expect(frames.length).toBeGreaterThan(2);
    const passages = frames[0]!.passages as Passage[];
    expect(passages[0]!.document_name).toBe('lease.pdf');
    const done = frames.at(-1)! as unknown as AskBody & { type: string };
    expect(done.type).toBe('done');
    expect(done.answer).toBe(
      frames
        .slice(1, -1)
        .map((f) => f.text)
        .join(''),
    );
    expectCitationsOfPassages(done.citations, passages);
  });

  it('stops the generation when the client goes away mid-stream', async () => {
    const before = app.engine().engine.stats();
    const controller = new AbortController();
    const response = await post(base, { query: 'total due', max_tokens: 4000 }, {}, controller.signal);
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
    const after = app.engine().engine.stats();
    expect(after.cancelled).toBe(before.cancelled + 1);
    expect(after.completed).toBe(before.completed);
  });

  it('without a model, returns the passages with answer null and how to get the model', async () => {
    const json = (await (await post(bare.base, { query: 'total due', stream: false })).json()) as AskBody;
    expect(json.answer).toBeNull();
    expect(json.reason).toMatch(/docsight models pull/);
    expect(json.passages[0]!.document_name).toBe('invoice.pdf');
    expect(json.citations).toEqual([]);
    const frames = [];
    for await (const frame of eventStreamFrames(await post(bare.base, { query: 'total due' })))
      frames.push(frame);
    expect(frames.map((f) => (f as { type: string }).type)).toEqual(['passages', 'done']);
  });

  it('refuses bad requests with a 400 naming the field, and an unknown document with a 404', async () => {
    const k = await post(base, { query: 'x', k: 0 });
    expect(k.status).toBe(400);
    expect(((await k.json()) as { error: { param: string } }).error.param).toBe('k');
    const missing = await post(base, { query: 'total', document: 999 });
    expect(missing.status).toBe(404);
  });

  it("searches only the key's collections", async () => {
    const { key } = await createKey(bare.app, { collections: ['contracts'] });
    const auth = { authorization: `Bearer ${key}` };
    const json = (await (await post(bare.base, { query: 'EUR', stream: false }, auth)).json()) as AskBody;
    expect(json.passages.map((p) => p.document_name)).toEqual(['lease.pdf']);
    expect((await post(bare.base, { query: 'EUR' })).status).toBe(401);
  });
});
