import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPdf } from '../read/intake/test-support/build-pdf.js';
import { useTempDirs } from '../test-support/temp-dir.js';
import { FULL_ACCESS, type Access } from './access.js';
import {
  askLibrary,
  type AskLibraryEvent,
  type AskLibraryInput,
  type LibraryPassage,
} from './ask-library.js';
import type { DocSight } from './docsight.js';
import { addDocument, processQueue } from './ingest.js';
import { useAppsInTempHomes } from './test-support/app-in-temp-home.js';

// The model is a scripted OpenAI-compatible upstream: its answer (with the passage numbers it cites) is fixed
// by each test, so the citation mapping is checked exactly; the request it receives shows the prompt.
const newApp = useAppsInTempHomes('docsight-app-ask-library-');
const junkDir = useTempDirs('docsight-junk-model-');

let upstream: Server;
let answer = '';
const requests: { messages: { role: string; content: unknown }[] }[] = [];
let app: DocSight;
let noModel: DocSight;
let brokenModel: DocSight;

const pdf = (...pages: string[][]) =>
  buildPdf(
    pages.map((lines) => ({ texts: lines.map((text, i) => ({ text, x: 60, y: 760 - i * 30, size: 14 })) })),
  );

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    requests.push(JSON.parse(raw) as (typeof requests)[number]);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (obj: unknown) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
    for (const piece of answer.match(/.{1,8}/gs) ?? []) send({ choices: [{ delta: { content: piece } }] });
    send({ choices: [{ delta: {}, finish_reason: 'stop' }] });
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  app = newApp({ understand: { backend: 'openai', upstreams: [url] } });
  noModel = newApp();
  // Model files that exist but are not GGUF: found at configuration, refused when the engine loads them.
  const junk = join(junkDir(), 'model.gguf');
  await writeFile(junk, 'not a model');
  brokenModel = newApp({ understand: { modelPath: junk, mmprojPath: junk } });
  for (const target of [app, noModel, brokenModel]) {
    const jobs: number[] = [];
    const add = async (name: string, bytes: Uint8Array, collection: string) =>
      jobs.push((await addDocument(target, { name, bytes }, { collection })).job!.id);
    await add(
      'invoice.pdf',
      pdf([
        'Invoice 2041 from Acme Ltd',
        'Delivery of 40 pallets',
        'Total due 3550.00 EUR',
        'Pay within 30 days',
      ]),
      'invoices',
    );
    await add(
      'lease.pdf',
      pdf(['Lease contract', 'Signed by Marta Ruiz', 'Monthly rent 900 EUR']),
      'contracts',
    );
    await add(
      'terms.pdf',
      pdf(
        ['General terms', 'Goods stay ours until paid', 'Returns are accepted', 'The warranty period is'],
        ['twenty-four months from delivery', 'Claims go to support', 'Nothing else applies'],
      ),
      'contracts',
    );
    await processQueue(target, { jobIds: jobs });
  }
}, 120_000);
afterAll(() => new Promise<void>((done) => upstream.close(() => done())));

async function run(input: Partial<AskLibraryInput> & { query: string }, on = app) {
  const events: AskLibraryEvent[] = [];
  for await (const event of askLibrary(on, { access: FULL_ACCESS, ...input })) events.push(event);
  const passages = events[0]!.type === 'passages' ? events[0]!.passages : [];
  const done = events.at(-1)!;
  if (done.type !== 'done') throw new Error('no done event');
  return {
    events,
    passages,
    done,
    text: events.flatMap((e) => (e.type === 'text' ? [e.text] : [])).join(''),
  };
}

const numbered = (passages: LibraryPassage[], n: number) => passages.find((p) => p.number === n)!;

describe('askLibrary', () => {
  it('streams the passages first, then the answer, then citations of the lines the cited passages hold', async () => {
    answer = 'The total due is 3550.00 EUR [1].';
    const { events, passages, done, text } = await run({ query: 'What is the total due?' });
    expect(events.map((e) => e.type)).toEqual(['passages', ...Array(events.length - 2).fill('text'), 'done']);
    expect(text).toBe(answer);
    expect(done.answer).toBe(answer);
    const first = numbered(passages, 1);
    expect(first).toMatchObject({ documentName: 'invoice.pdf', pages: [1] });
    expect(first.lines.find((l) => l.matches)?.text).toBe('Total due 3550.00 EUR');
    expect(done.citations).toEqual([
      {
        documentId: first.documentId,
        documentName: 'invoice.pdf',
        page: 1,
        boxes: first.lines.map((l) => l.box),
        quote: first.lines.map((l) => l.text).join('\n'),
        passage: 1,
      },
    ]);
    // The model saw the page image and the numbered passage with its source.
    const user = requests.at(-1)!.messages.find((m) => m.role === 'user')!.content as {
      type: string;
      text?: string;
    }[];
    expect(user.filter((p) => p.type === 'image_url').length).toBeGreaterThanOrEqual(1);
    expect(user.find((p) => p.type === 'text')!.text).toContain('[1] (invoice.pdf, page 1)\n');
    expect(done.stats).toMatchObject({ retrieval: 'bm25', passages: passages.length });
  });

  it('cites nothing when the answer cites nothing, and drops numbers that name no passage', async () => {
    answer = 'I cannot tell.';
    expect((await run({ query: 'total due' })).done.citations).toEqual([]);
    answer = 'It is 3550.00 [7], see [0] and [1, 7].';
    const { done, passages } = await run({ query: 'total due', k: 1 });
    expect(passages).toHaveLength(1);
    expect(done.citations.map((c) => c.passage)).toEqual([1]);
    expect(done.stats.invalidCitations).toEqual([7, 0]);
  });

  it('keeps a passage that runs over a page break as one, and cites both pages', async () => {
    answer = 'Twenty-four months [1].';
    const { passages, done } = await run({ query: 'warranty months', documentId: undefined, k: 2 });
    const spanning = passages.find((p) => p.pages.length === 2)!;
    expect(spanning).toMatchObject({ documentName: 'terms.pdf', pages: [1, 2] });
    expect(spanning.text).toContain('The warranty period is\ntwenty-four months from delivery');
    expect(spanning.number).toBe(1);
    expect(done.stats).toMatchObject({ pages: 2, passages: 1 });
    expect(done.citations.map((c) => [c.page, c.quote.split('\n').at(c.page === 1 ? -1 : 0)])).toEqual([
      [1, 'The warranty period is'],
      [2, 'twenty-four months from delivery'],
    ]);
  });

  it('retrieves only from the collections the caller may see', async () => {
    answer = '[1]';
    const contracts: Access = { kind: 'collections', collections: ['contracts'] };
    const names = async (input: Partial<AskLibraryInput>) =>
      (await run({ query: 'EUR', ...input })).passages.map((p) => p.documentName);
    expect(new Set(await names({}))).toEqual(new Set(['invoice.pdf', 'lease.pdf']));
    expect(await names({ access: contracts })).toEqual(['lease.pdf']);
    expect(
      await names({ access: { kind: 'collections', collections: ['contracts', 'invoices'] } }),
    ).toHaveLength(2);
    expect(await names({ access: contracts, collection: 'invoices' })).toEqual([]);
    const invoice = (await app.library().store.listDocuments()).find((d) => d.name === 'invoice.pdf')!;
    await expect(run({ query: 'EUR', access: contracts, documentId: invoice.id })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await names({ documentId: invoice.id })).toEqual(['invoice.pdf']);
  });

  it('answers nothing when nothing matches, without asking the model', async () => {
    const before = requests.length;
    const { passages, done } = await run({ query: 'zeppelin' });
    expect(passages).toEqual([]);
    expect(done).toMatchObject({ answer: null, citations: [], reason: expect.stringContaining('Nothing') });
    expect(requests.length).toBe(before);
  });

  it('without a model, returns the passages with no answer and says how to get the model', async () => {
    const { events, passages, done } = await run({ query: 'Who signed the lease?' }, noModel);
    expect(events.map((e) => e.type)).toEqual(['passages', 'done']);
    expect(passages[0]!.documentName).toBe('lease.pdf');
    expect(done.answer).toBeNull();
    expect(done.citations).toEqual([]);
    expect(done.reason).toMatch(/docsight models pull/);
  });

  it('with model files that are not valid, also answers with the passages and how to get a model', async () => {
    const { passages, done } = await run({ query: 'Who signed the lease?' }, brokenModel);
    expect(passages[0]!.documentName).toBe('lease.pdf');
    expect(done.answer).toBeNull();
    expect(done.reason).toMatch(/GGUF header.*docsight models pull/);
  });

  it('refuses an empty question and a k out of range', async () => {
    await expect(run({ query: '  ' })).rejects.toMatchObject({ code: 'BAD_REQUEST', param: 'query' });
    await expect(run({ query: 'x', k: 11 })).rejects.toMatchObject({ code: 'BAD_REQUEST', param: 'k' });
  });
});
