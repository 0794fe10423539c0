import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeChat } from '../../app/complete-chat.js';
import { createDocSight, type DocSight } from '../../app/docsight.js';
import { createKey } from '../../app/keys.js';
import { loadConfig, type ConfigOverrides } from '../../config/config.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { tinyModel } from '../../understand/engine/test-support/test-models.js';
import { createHttpServer } from './server.js';

const tempDir = useTempDirs('docsight-http-limits-');

async function startServer(server: ConfigOverrides['server'], understand?: ConfigOverrides['understand']) {
  const app = createDocSight(loadConfig({ env: {}, flags: { home: tempDir(), understand, server } }));
  const http = createHttpServer(app, { log: () => undefined });
  await http.listen({ host: '127.0.0.1', port: 0 });
  return { app, http, base: `http://127.0.0.1:${(http.server.address() as AddressInfo).port}` };
}

interface Running {
  app: DocSight;
  http: FastifyInstance;
  base: string;
}
const stop = async (running: Running | undefined) => {
  await running?.http.close();
  await running?.app.close();
};

describe('the request rate limit (server.rateLimitPerMinute)', () => {
  let running: Running;
  beforeAll(async () => {
    running = await startServer({ rateLimitPerMinute: 3 });
  });
  afterAll(() => stop(running));

  it('answers 429 rate_limited with Retry-After from the bucket once a client has spent its burst', async () => {
    for (let i = 0; i < 3; i++) expect((await fetch(`${running.base}/v1/models`)).status).toBe(200);
    const refused = await fetch(`${running.base}/api/documents`);
    expect(refused.status).toBe(429);
    // 3 a minute: the next token comes 20 s after the last one was taken.
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(19);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(20);
    expect(((await refused.json()) as { error: unknown }).error).toMatchObject({
      type: 'rate_limit_error',
      code: 'rate_limited',
      message: expect.stringContaining('server.rateLimitPerMinute'),
    });
    // Liveness and metrics are not API calls: a supervisor is never rate limited.
    expect((await fetch(`${running.base}/health`)).status).toBe(200);
    // The official client sees its RateLimitError.
    const client = new OpenAI({ baseURL: `${running.base}/v1`, apiKey: 'unused', maxRetries: 0 });
    await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('keeps a bucket per API key once keys exist, and a bad key is a 401 that spends nothing', async () => {
    const a = await createKey(running.app, { admin: true, name: 'a' });
    const b = await createKey(running.app, { admin: true, name: 'b' });
    const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
    for (let i = 0; i < 3; i++)
      expect((await fetch(`${running.base}/v1/models`, as(a.key))).status).toBe(200);
    expect((await fetch(`${running.base}/v1/models`, as(a.key))).status).toBe(429);
    expect((await fetch(`${running.base}/v1/models`, as('dsk_not-a-key'))).status).toBe(401);
    expect((await fetch(`${running.base}/v1/models`, as(b.key))).status).toBe(200);
  });
});

describe('limits on chat requests', () => {
  let running: Running;
  let modelDir: string;
  let client: OpenAI;
  beforeAll(async () => {
    const model = await tinyModel();
    modelDir = model.dir;
    running = await startServer(
      { maxMessagesPerRequest: 2, requestTimeoutMs: 500 },
      { modelPath: model.model, mmprojPath: model.mmproj, threads: 1, slots: 1 },
    );
    client = new OpenAI({ baseURL: `${running.base}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await stop(running);
    await rm(modelDir, { recursive: true, force: true });
  });

  it('refuses more messages than server.maxMessagesPerRequest with a 400 naming the field', async () => {
    const response = await fetch(`${running.base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'm',
        messages: [
          { role: 'user', content: 'one' },
          { role: 'assistant', content: 'two' },
          { role: 'user', content: 'three' },
        ],
      }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: unknown }).error).toMatchObject({
      param: 'messages',
      message: expect.stringContaining('server.maxMessagesPerRequest'),
    });
  });

  it('stops a non-streamed generation that runs past server.requestTimeoutMs: 504, and the engine is freed', async () => {
    // The model is loaded first, on the application (not bounded by the server's limit), so that the timed
    // request spends its 500 ms generating.
    for await (const event of completeChat(running.app, {
      messages: [{ role: 'user', content: 'Hi.' }],
      maxTokens: 2,
    })) {
      void event;
    }
    const before = running.app.engine().engine.stats();

    const started = performance.now();
    const error = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'Write a long story.' }], max_tokens: 8000 })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ status: 504, code: 'timeout' });
    expect((error as Error).message).toContain('server.requestTimeoutMs');
    expect(performance.now() - started).toBeLessThan(5_000);
    // The generation was stopped, not left running for nobody.
    await expect.poll(() => running.app.engine().engine.stats().running, { timeout: 20_000 }).toBe(0);
    const after = running.app.engine().engine.stats();
    expect(after.cancelled).toBe(before.cancelled + 1);
    expect(after.completed).toBe(before.completed);
  });

  it('bounds a streamed request only until its first token: a stream then runs past the limit, a queued one gets 504', async () => {
    const first = new AbortController();
    const long = await client.chat.completions.create(
      {
        model: 'm',
        messages: [{ role: 'user', content: 'Write a long story.' }],
        max_tokens: 8000,
        stream: true,
      },
      { signal: first.signal },
    );
    const chunks = long[Symbol.asyncIterator]();
    const started = performance.now();
    await chunks.next();
    // A second stream waits for the only slot, past server.requestTimeoutMs: a 504 before any header.
    const queued = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'Hi.' }], max_tokens: 2, stream: true })
      .catch((err: unknown) => err);
    expect(queued).toMatchObject({ status: 504, code: 'timeout' });
    // Meanwhile the first stream kept going, well past the 500 ms.
    while (performance.now() - started < 1_000) {
      const next = await chunks.next();
      expect(next.done).toBe(false);
    }
    first.abort();
    await chunks.return?.();
    await expect.poll(() => running.app.engine().engine.stats().running, { timeout: 20_000 }).toBe(0);
  });
});
