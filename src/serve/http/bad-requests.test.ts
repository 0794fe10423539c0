import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocSight, type DocSight } from '../../app/docsight.js';
import { loadConfig } from '../../config/config.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { tinyModel } from '../../understand/engine/test-support/test-models.js';
import { createHttpServer } from './server.js';
import { badChatRequests, oddButValidChatRequests, type BadRequest } from './test-support/bad-requests.js';

// Every bad request of the corpus against one live server (tiny synthetic VLM): each gets its 4xx with the
// OpenAI error body, and afterwards the server still answers /health and a valid request.
describe('a live server under bad requests', () => {
  const tempDir = useTempDirs('docsight-http-bad-');
  let app: DocSight;
  let server: FastifyInstance;
  let base: string;
  let modelDir: string;
  const logged: string[] = [];

  beforeAll(async () => {
    const model = await tinyModel();
    modelDir = model.dir;
    const config = loadConfig({
      env: {},
      flags: {
        home: tempDir(),
        understand: { modelPath: model.model, mmprojPath: model.mmproj, threads: 1, slots: 1 },
        server: { maxJsonBytes: 2 * 1024 * 1024 },
      },
    });
    app = createDocSight(config);
    server = createHttpServer(app, { log: (line) => logged.push(line) });
    await server.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await server?.close();
    await app?.close();
    await rm(modelDir, { recursive: true, force: true });
  });

  const send = (r: Pick<BadRequest, 'method' | 'path' | 'headers' | 'body'>) =>
    fetch(`${base}${r.path ?? '/v1/chat/completions'}`, {
      method: r.method ?? 'POST',
      headers: { 'content-type': 'application/json', ...r.headers },
      body:
        (r.method ?? 'POST') === 'GET'
          ? undefined
          : typeof r.body === 'string'
            ? r.body
            : JSON.stringify(r.body),
    });

  it('answers each with its 4xx and a readable OpenAI error body', async () => {
    const corpus = [
      ...(await badChatRequests()),
      {
        name: 'body over server.maxJsonBytes',
        body: { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(3 * 1024 * 1024) }] },
        status: 413,
      },
    ];
    expect(corpus.length).toBeGreaterThanOrEqual(50);
    const wrong: string[] = [];
    for (const request of corpus) {
      const response = await send(request);
      const text = await response.text();
      if (response.status !== request.status) {
        wrong.push(`${request.name}: ${response.status} (wanted ${request.status}) ${text.slice(0, 200)}`);
        continue;
      }
      if (response.status === 431) continue; // Node answers oversized headers itself, before any route.
      const body = JSON.parse(text) as { error: { message: string; type: string; code: string } };
      if (!(
        body.error?.message?.length > 10 &&
        typeof body.error.type === 'string' &&
        typeof body.error.code === 'string'
      ))
        wrong.push(`${request.name}: error body ${text.slice(0, 200)}`);
    }
    expect(wrong).toEqual([]);
    expect(logged).toEqual([]);
  });

  it('answers harmless oddities normally, using no string as a path', async () => {
    for (const { name, body } of oddButValidChatRequests()) {
      const response = await send({ body });
      expect({ name, status: response.status }).toEqual({ name, status: 200 });
    }
  });

  it('is still alive and answering afterwards', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const response = await send({
      body: { model: 'm', max_tokens: 3, messages: [{ role: 'user', content: 'Hello' }] },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { object: string }).object).toBe('chat.completion');
  });
});
