import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocSight, type DocSight } from '../../app/docsight.js';
import { loadConfig } from '../../config/config.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { testImage, tinyModel } from '../../understand/engine/test-support/test-models.js';
import { createHttpServer } from './server.js';

// Image parts with http(s) URLs, against a local image host. Two API servers share one app: one as
// `docsight serve` runs it (the real address rule, which refuses the loopback image host even though its
// address is on the allow-list), one with the test-only hook that lets 127.0.0.1 through.
describe('POST /v1/chat/completions with remote image URLs (server.remoteImages)', () => {
  const tempDir = useTempDirs('docsight-http-remote-');
  let app: DocSight;
  let modelDir: string;
  let images: Server;
  let imageBase: string;
  const apis: { close(): Promise<unknown> }[] = [];
  let png: Buffer;
  let real: OpenAI;
  let hooked: OpenAI;

  const start = async (testOnlyAddressPolicy?: (address: string) => boolean) => {
    const server = createHttpServer(app, { log: () => undefined, testOnlyAddressPolicy });
    await server.listen({ host: '127.0.0.1', port: 0 });
    apis.push(server);
    const base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    return new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
  };

  beforeAll(async () => {
    const model = await tinyModel();
    modelDir = model.dir;
    png = (await testImage(96)).png;
    images = createServer((req, res) => {
      if (req.url === '/page.png') res.writeHead(200, { 'content-type': 'image/png' }).end(png);
      else if (req.url === '/big.png') res.writeHead(200).end(Buffer.alloc(64 * 1024));
      else if (req.url === '/notes.png')
        res.writeHead(200, { 'content-type': 'image/png' }).end('plain text');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    imageBase = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
    app = createDocSight(
      loadConfig({
        env: {},
        flags: {
          home: tempDir(),
          understand: { modelPath: model.model, mmprojPath: model.mmproj, threads: 1, slots: 1 },
          server: { remoteImages: { allow: ['127.0.0.1'], maxBytes: 32 * 1024 } },
        },
      }),
    );
    real = await start();
    hooked = await start((address) => address === '127.0.0.1');
  });
  afterAll(async () => {
    for (const api of apis) await api.close();
    await app?.close();
    images?.closeAllConnections();
    await new Promise((resolve) => images?.close(resolve));
    await rm(modelDir, { recursive: true, force: true });
  });

  const ask = (client: OpenAI, url: string) =>
    client.chat.completions.create({
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url } },
            { type: 'text', text: 'What is this?' },
          ],
        },
      ],
      max_tokens: 2,
    });

  it('answers about an image fetched from an allowed host, as about the same image sent inline', async () => {
    const fetched = await ask(hooked, `${imageBase}/page.png`);
    const textOnly = await hooked.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'What is this?' }],
      max_tokens: 2,
    });
    const inline = await ask(hooked, `data:image/png;base64,${png.toString('base64')}`);
    const imageTokens = fetched.usage!.prompt_tokens - textOnly.usage!.prompt_tokens;
    expect(imageTokens).toBeGreaterThan(0);
    // The same bytes: the inline request finds the fetched image's state in the slot's cache (by its sha256).
    expect(inline.usage!.prompt_tokens_details!.cached_tokens).toBeGreaterThanOrEqual(imageTokens);
  });

  it('refuses a loopback host as served, even when its address is on the allow-list', async () => {
    const error = await ask(real, `${imageBase}/page.png`).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({
      param: 'messages.0.content.0.image_url.url',
      message: expect.stringMatching(/127\.0\.0\.1, a loopback address/),
    });
  });

  it('refuses hosts not on the list, bodies over maxBytes, error statuses and bytes that are no image', async () => {
    const cases: [string, RegExp, number][] = [
      ['http://images.example.com/a.png', /images\.example\.com is not allowed/, 400],
      [`${imageBase}/big.png`, /larger than 32768 bytes/, 400],
      [`${imageBase}/gone.png`, /answered HTTP 404/, 400],
      // Fetched, then refused by intake like any upload: the type comes from the bytes, not the header.
      [`${imageBase}/notes.png`, /./, 415],
    ];
    for (const [url, why, status] of cases) {
      const error = await ask(hooked, url).catch((err: unknown) => err);
      expect(error, url).toMatchObject({ status, message: expect.stringMatching(why) });
    }
  });
});
