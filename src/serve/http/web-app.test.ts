import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocSight, type DocSight } from '../../app/docsight.js';
import { loadConfig } from '../../config/config.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { createHttpServer } from './server.js';

// The server hands the built WebUI out beside the API: files by path with their types, index.html for the
// app's own page paths, and never in place of an API answer.
const tempDir = useTempDirs('docsight-web-app-');

describe('the WebUI served at /', () => {
  let app: DocSight;
  let server: FastifyInstance;
  let unbuilt: FastifyInstance;

  beforeAll(async () => {
    const webRoot = tempDir();
    await mkdir(join(webRoot, 'assets'));
    await writeFile(join(webRoot, 'index.html'), '<!doctype html><title>DocSight</title>');
    await writeFile(join(webRoot, 'assets', 'index-AbC123.js'), 'console.log(1)');
    await writeFile(join(webRoot, 'assets', 'index-AbC123.css'), 'body{}');
    app = createDocSight(loadConfig({ env: {}, flags: { home: tempDir() } }));
    server = createHttpServer(app, { log: () => undefined, webRoot });
    unbuilt = createHttpServer(app, { log: () => undefined, webRoot: join(webRoot, 'missing') });
  });
  afterAll(async () => {
    await server?.close();
    await unbuilt?.close();
    await app?.close();
  });

  const html = { accept: 'text/html,application/xhtml+xml' };

  it('answers / and client routes with index.html, revalidated on every load', async () => {
    for (const url of ['/', '/library', '/viewer/3/2?hl=1,2,3,4,5,6,7,8', '/chat/abc']) {
      const response = await server.inject({ url, headers: html });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.body).toContain('<title>DocSight</title>');
    }
  });

  it('serves hashed assets with their MIME type and a year-long immutable cache', async () => {
    const js = await server.inject({ url: '/assets/index-AbC123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const css = await server.inject({ url: '/assets/index-AbC123.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('leaves the API alone: unknown API paths and missing files are JSON 404s, API routes still answer', async () => {
    for (const url of [
      '/api/nothing',
      '/v1/nothing',
      '/assets/gone.js',
      '/../package.json',
      '/%2e%2e/%2e%2e/package.json',
    ]) {
      const response = await server.inject({ url, headers: html });
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error.code).toBeDefined();
    }
    // A malformed escape is the client's mistake, never a server error.
    expect((await server.inject({ url: '/%E0%A4%A', headers: html })).statusCode).toBe(400);
    expect((await server.inject({ url: '/health' })).statusCode).toBe(200);
    expect((await server.inject({ url: '/openapi.json' })).json().openapi).toMatch(/^3\./);
    // A non-page request for a client path (a script's fetch) is not handed the HTML page.
    expect(
      (await server.inject({ url: '/library', headers: { accept: 'application/json' } })).statusCode,
    ).toBe(404);
  });

  it('says how to build the WebUI when it is not built', async () => {
    const response = await unbuilt.inject({ url: '/', headers: html });
    expect(response.statusCode).toBe(503);
    expect(response.body).toContain('npm run build');
  });
});
