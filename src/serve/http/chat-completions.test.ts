import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocSight, type DocSight } from '../../app/docsight.js';
import { loadConfig } from '../../config/config.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { testImage, tinyModel } from '../../understand/engine/test-support/test-models.js';
import { createHttpServer } from './server.js';

// A real server on an ephemeral port, the tiny synthetic Qwen3-VL (random weights: answers are gibberish, so
// these tests check the protocol, never wording) and the official `openai` client as the test client.
describe('POST /v1/chat/completions', () => {
  const tempDir = useTempDirs('docsight-http-chat-');
  let app: DocSight;
  let server: FastifyInstance;
  let base: string;
  let client: OpenAI;
  let modelDir: string;
  let imageUrl: string;

  beforeAll(async () => {
    const model = await tinyModel();
    modelDir = model.dir;
    const config = loadConfig({
      env: {},
      flags: {
        home: tempDir(),
        understand: { modelPath: model.model, mmprojPath: model.mmproj, threads: 1, slots: 1 },
      },
    });
    app = createDocSight(config);
    server = createHttpServer(app, { log: () => undefined });
    await server.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
    imageUrl = `data:image/png;base64,${(await testImage(96)).png.toString('base64')}`;
  });
  afterAll(async () => {
    await server?.close();
    await app?.close();
    await rm(modelDir, { recursive: true, force: true });
  });

  it('answers a plain request with one choice, its finish reason and consistent usage', async () => {
    const completion = await client.chat.completions.create({
      model: 'anything',
      messages: [{ role: 'user', content: 'Say hello.' }],
      max_tokens: 5,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe('qwen3vl-tiny-q8_0');
    expect(completion.choices).toHaveLength(1);
    expect(typeof completion.choices[0]!.message.content).toBe('string');
    expect(['stop', 'length']).toContain(completion.choices[0]!.finish_reason);
    const usage = completion.usage!;
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens).toBeLessThanOrEqual(5);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
  });

  it('streams chunks as OpenAI does: role first, one id, finish reason last, then usage, then [DONE]', async () => {
    const stream = await client.chat.completions.create({
      model: 'anything',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: imageUrl, detail: 'low' } },
            { type: 'text', text: 'What is on this page?' },
          ],
        },
      ],
      max_tokens: 4,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const withChoices = chunks.filter((c) => c.choices.length > 0);
    const finishes = withChoices.map((c) => c.choices[0]!.finish_reason);
    expect(finishes.slice(0, -1).every((f) => f === null)).toBe(true);
    expect(['stop', 'length']).toContain(finishes.at(-1));
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    // The image is in the prompt: far more prompt tokens than the words alone.
    expect(last.usage!.prompt_tokens).toBeGreaterThan(30);
  });

  it('holds the answer to a JSON schema, checked on the server', async () => {
    const schema = {
      type: 'object',
      properties: { total: { type: 'number' } },
      required: ['total'],
      additionalProperties: false,
    };
    const completion = await client.chat.completions.create({
      model: 'anything',
      messages: [{ role: 'user', content: 'The total as JSON.' }],
      max_tokens: 64,
      response_format: { type: 'json_schema', json_schema: { name: 'total', schema } },
    });
    const parsed = JSON.parse(completion.choices[0]!.message.content!) as { total: unknown };
    expect(typeof parsed.total).toBe('number');
  });

  it('refuses what it will not do with a 400 naming the field, in the OpenAI error shape', async () => {
    const bad = (body: object) =>
      client.chat.completions.create({ model: 'm', max_tokens: 2, ...body } as never).then(
        () => undefined,
        (err: unknown) => err,
      );
    const remote = await bad({
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://127.0.0.1:1/x.png' } }] },
      ],
    });
    expect(remote).toBeInstanceOf(OpenAI.BadRequestError);
    expect((remote as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(
      'messages.0.content.0.image_url.url',
    );
    expect((remote as Error).message).toMatch(/not fetched by this server/);

    const notBase64 = await bad({
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,%%%' } }] },
      ],
    });
    expect((notBase64 as Error).message).toMatch(/not valid base64/);

    const notAnImage = await bad({
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'image_url',
              image_url: { url: `data:image/png;base64,${Buffer.from('hello').toString('base64')}` },
            },
          ],
        },
      ],
    });
    expect(notAnImage).toBeInstanceOf(OpenAI.APIError);
    expect((notAnImage as InstanceType<typeof OpenAI.APIError>).status).toBe(415);

    const unknownField = await bad({ messages: [{ role: 'user', content: 'x' }], frobnicate: true });
    expect(unknownField).toBeInstanceOf(OpenAI.BadRequestError);
    expect((unknownField as Error).message).toMatch(/frobnicate/);
  });

  it('answers malformed JSON and unknown routes with the same error shape', async () => {
    const malformed = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model": "m", "messages": [',
    });
    expect(malformed.status).toBe(400);
    const body = (await malformed.json()) as { error: { type: string; code: string } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'bad_request' });

    const missing = await fetch(`${base}/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('stops the generation when the client goes away mid-stream', async () => {
    const before = app.engine().engine.stats();
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      {
        model: 'm',
        messages: [{ role: 'user', content: 'Write a long story.' }],
        max_tokens: 4000,
        stream: true,
      },
      { signal: controller.signal },
    );
    let pieces = 0;
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content && ++pieces === 2) controller.abort();
      }
    } catch {
      // The client may end the loop quietly or with an abort error; either way it has hung up.
    }
    expect(pieces).toBe(2);
    // The engine notices the closed socket and stops: the request ends as cancelled, not completed.
    await expect.poll(() => app.engine().engine.stats().running, { timeout: 20_000 }).toBe(0);
    const after = app.engine().engine.stats();
    expect(after.cancelled).toBe(before.cancelled + 1);
    expect(after.completed).toBe(before.completed);
  });

  it('lists its model with its state, and serves the OpenAPI document and docs page', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['qwen3vl-tiny-q8_0']);
    const openapi = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/v1/chat/completions', '/health']));
    const docs = await fetch(`${base}/docs`);
    expect(await docs.text()).toContain('/v1/chat/completions');
    // The answers above were timed; requests are counted by route template, not by URL.
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/docsight_generation_time_to_first_token_seconds_count [1-9]/);
    expect(metrics).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/v1\/chat\/completions",status="200"\} [1-9]/,
    );
    expect(metrics).toMatch(/docsight_ingest_queue_depth 0/);
  });
});
