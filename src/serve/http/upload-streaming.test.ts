import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocSight, type DocSight } from '../../app/docsight.js';
import { loadConfig } from '../../config/config.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { createHttpServer } from './server.js';

// An upload goes socket → temporary file → blob store in chunks: the server never holds a whole file, so a
// file far larger than the memory it may use still goes in.
const tempDir = useTempDirs('docsight-http-upload-stream-');
const run = promisify(execFile);
const MiB = 1024 * 1024;
/** UPLOAD_TEST_MIB=300 measures a larger file by hand (the test's bound scales with it). */
const FILE_BYTES = Number(process.env.UPLOAD_TEST_MIB ?? 96) * MiB;

/** Writes `bytes` of text lines to `path`, 1 MiB at a time, and returns their sha256. */
async function writeLargeText(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const file = await open(path, 'w');
  for (let at = 0; at < bytes; at += MiB) {
    const line = `line ${at / MiB} of a large upload, repeated to fill a mebibyte\n`;
    const chunk = Buffer.from(line.repeat(Math.ceil(MiB / line.length)).slice(0, Math.min(MiB, bytes - at)));
    hash.update(chunk);
    await file.write(chunk);
  }
  await file.close();
  return hash.digest('hex');
}

/** Runs `work` while sampling the resident set size, and returns its result and the peak RSS seen. */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peak };
  } finally {
    clearInterval(timer);
  }
}

describe('a large upload', () => {
  let app: DocSight;
  let server: FastifyInstance;
  let base: string;
  let home: string;
  beforeAll(async () => {
    home = tempDir();
    app = createDocSight(loadConfig({ env: {}, flags: { home } }), { ocrThread: 'main' });
    server = createHttpServer(app, { log: () => undefined });
    await server.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await server?.close();
    await app?.close();
  });

  // The client runs in a process of its own, sending from the file on disk: only the server is measured here.
  const upload = async (path: string, name: string) => {
    const client = `
      const [path, name, url] = process.argv.slice(1);
      const body = new FormData();
      body.append('file', await require('node:fs').openAsBlob(path), name);
      const response = await fetch(url, { method: 'POST', body });
      console.log(JSON.stringify({ status: response.status, json: await response.json() }));`;
    const { stdout } = await run(process.execPath, [
      '-e',
      `(async () => {${client}})()`,
      path,
      name,
      `${base}/api/documents`,
    ]);
    return JSON.parse(stdout) as { status: number; json: { documents: { id: number }[] } };
  };

  it('is stored whole with its sha256 while the server grows by far less than the file', async () => {
    const small = join(tempDir(), 'warm-up.txt');
    await writeLargeText(small, 64 * 1024);
    expect((await upload(small, 'warm-up.txt')).status).toBe(202);

    const path = join(tempDir(), 'large.txt');
    const sha256 = await writeLargeText(path, FILE_BYTES);
    const before = process.memoryUsage.rss();
    const started = performance.now();
    const { result, peak } = await withPeakRss(() => upload(path, 'large.txt'));
    const seconds = (performance.now() - started) / 1000;
    expect(result.status).toBe(202);
    const document = await app.library().store.getDocument(result.json.documents[0]!.id);
    expect(document).toMatchObject({ sha256, sizeBytes: FILE_BYTES, mime: 'text/plain' });
    expect(app.library().blobs.has(sha256)).toBe(true);
    expect(readdirSync(join(home, 'tmp'))).toEqual([]);
    // Holding the file once would grow it by the whole file; chunks and buffers stay well under half.
    const growth = peak - before;
    if (process.env.UPLOAD_TEST_MIB)
      console.log(
        `${FILE_BYTES / MiB} MiB in ${seconds.toFixed(1)} s, peak RSS growth ${(growth / MiB).toFixed(1)} MiB`,
      );
    expect(growth).toBeLessThan(FILE_BYTES / 2);
  }, 60_000);
});
