import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocSight, type DocSight } from '../../app/docsight.js';
import { authenticate, createKey, listKeys, revokeKey } from '../../app/keys.js';
import { loadConfig } from '../../config/config.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { createHttpServer } from './server.js';

describe('API keys', () => {
  const tempDir = useTempDirs('docsight-keys-');
  let app: DocSight;
  let server: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    app = createDocSight(loadConfig({ env: {}, flags: { home: tempDir() } }));
    server = createHttpServer(app, { log: () => undefined });
    await server.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await server?.close();
    await app?.close();
  });

  it('are not needed while none exists; once one does, every /api and /v1 request needs a valid one', async () => {
    expect((await fetch(`${base}/v1/models`)).status).toBe(200);
    const { key } = await createKey(app, { collections: ['invoices'], name: 'accounting' });
    expect(key).toMatch(/^dsk_[A-Za-z0-9_-]{43}$/);

    const anonymous = await fetch(`${base}/v1/models`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { type: string } }).error.type).toBe('authentication_error');
    // Unknown routes under /api answer 401 too: without a key nothing about the API is revealed.
    expect((await fetch(`${base}/api/anything`)).status).toBe(401);
    // Liveness needs no key (a supervisor has none).
    expect((await fetch(`${base}/health`)).status).toBe(200);

    const wrong = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'dsk_not-a-key', maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const right = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });
    expect((await right.models.list()).data).toHaveLength(1);
  });

  it('are stored hashed, scoped to collections or admin, and stop working when revoked', async () => {
    const { key, record } = await createKey(app, { admin: true });
    expect(await authenticate(app, `Bearer ${key}`)).toEqual({ kind: 'all', admin: true, keyId: record.id });
    const listed = await listKeys(app);
    expect(JSON.stringify(listed)).not.toContain(key);
    expect(listed.find((k) => k.id === record.id)?.prefix).toBe(key.slice(0, 10));
    const scoped = (await listKeys(app)).find((k) => k.name === 'accounting')!;
    expect(scoped).toMatchObject({ admin: false, collections: ['invoices'] });

    await revokeKey(app, record.id);
    await expect(authenticate(app, `Bearer ${key}`)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(revokeKey(app, record.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(createKey(app, {})).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
