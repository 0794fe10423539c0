import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocSight, type DocSight } from '../../app/docsight.js';
import { addDocument, processQueue } from '../../app/ingest.js';
import { createKey } from '../../app/keys.js';
import { loadConfig } from '../../config/config.js';
import { buildPdf } from '../../read/intake/test-support/build-pdf.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { tinyModel } from '../../understand/engine/test-support/test-models.js';
import { createHttpServer } from './server.js';

// `docsight://pages/<document_id>/<page>` image URLs: a library page's stored image in an OpenAI chat request,
// for the pages the caller's key may see. The tiny synthetic model answers gibberish: the prompt size shows
// the image went in.
const tempDir = useTempDirs('docsight-http-chat-pages-');

describe('/v1/chat/completions with library pages', () => {
  let app: DocSight;
  let server: FastifyInstance;
  let base: string;
  let modelDir: string;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    const model = await tinyModel();
    modelDir = model.dir;
    app = createDocSight(
      loadConfig({
        env: {},
        flags: {
          home: tempDir(),
          understand: { modelPath: model.model, mmprojPath: model.mmproj, threads: 1, slots: 1 },
        },
      }),
      { ocrThread: 'main' },
    );
    const jobs: number[] = [];
    for (const [name, collection] of [
      ['invoice.pdf', 'invoices'],
      ['lease.pdf', 'contracts'],
    ] as const) {
      const bytes = buildPdf([{ texts: [{ text: `${name} page one`, x: 60, y: 700, size: 12 }] }]);
      const { document, job } = await addDocument(app, { name, bytes }, { collection });
      ids[name] = document.id;
      jobs.push(job!.id);
    }
    await processQueue(app, { jobIds: jobs });
    server = createHttpServer(app, { log: () => undefined });
    await server.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await app?.close();
    await rm(modelDir, { recursive: true, force: true });
  });

  const ask = (url: string, apiKey = 'unused') =>
    new OpenAI({ baseURL: `${base}/v1`, apiKey, maxRetries: 0 }).chat.completions
      .create({
        model: 'm',
        max_tokens: 2,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url } },
              { type: 'text', text: 'What is on this page?' },
            ],
          },
        ],
      })
      .then(
        (completion) => completion,
        (err: unknown) => err as InstanceType<typeof OpenAI.APIError>,
      );

  it("sends the page's stored image to the model", async () => {
    const withPage = await ask(`docsight://pages/${ids['invoice.pdf']}/1`);
    expect(withPage).not.toBeInstanceOf(Error);
    const textOnly = await new OpenAI({
      baseURL: `${base}/v1`,
      apiKey: 'x',
      maxRetries: 0,
    }).chat.completions.create({
      model: 'm',
      max_tokens: 2,
      messages: [{ role: 'user', content: 'What is on this page?' }],
    });
    const usage = (withPage as OpenAI.ChatCompletion).usage!;
    expect(usage.prompt_tokens).toBeGreaterThan(textOnly.usage!.prompt_tokens + 30);
  });

  it('answers a page that does not exist with 404, and a malformed page URL with 400 naming the part', async () => {
    const missing = await ask(`docsight://pages/${ids['invoice.pdf']}/9`);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    const malformed = await ask('docsight://pages/abc');
    expect(malformed).toBeInstanceOf(OpenAI.BadRequestError);
    expect((malformed as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(
      'messages.0.content.0.image_url.url',
    );
  });

  it("shows a collection-scoped key only its collections' pages: others do not exist for it", async () => {
    const { key } = await createKey(app, { collections: ['contracts'] });
    expect(await ask(`docsight://pages/${ids['invoice.pdf']}/1`, key)).toBeInstanceOf(OpenAI.NotFoundError);
    expect(await ask(`docsight://pages/${ids['lease.pdf']}/1`, key)).not.toBeInstanceOf(Error);
  });
});
