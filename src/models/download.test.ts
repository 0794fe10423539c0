import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTempDirs } from '../test-support/temp-dir.js';
import { downloadFile, partialPath } from './download.js';

/**
 * A real HTTP server on loopback that serves one file with Range support and can misbehave on request:
 * drop the connection part-way, ignore ranges, or 404.
 */
const file = randomBytes(256 * 1024 + 123);
const sha256 = createHash('sha256').update(file).digest('hex');
let server: Server;
let base: string;
const seenRanges: (string | undefined)[] = [];
let dropAfterBytes: number | undefined; // next response stops after this many bytes, once, and hangs…
let dropWhen: (() => boolean) | undefined; // …until this says the client has them on disk; then the socket dies

function serve(req: IncomingMessage, res: ServerResponse) {
  if (req.url === '/missing.gguf') {
    res.writeHead(404).end('not found');
    return;
  }
  if (req.url === '/redirect.gguf') {
    res.writeHead(302, { location: '/model.gguf' }).end();
    return;
  }
  seenRanges.push(req.headers.range);
  const ignoreRange = req.url === '/no-range.gguf';
  const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = match && !ignoreRange ? Number(match[1]) : 0;
  if (start >= file.length) {
    res.writeHead(416).end();
    return;
  }
  const body = file.subarray(start);
  res.writeHead(start > 0 ? 206 : 200, {
    'content-length': body.length,
    ...(start > 0 ? { 'content-range': `bytes ${start}-${file.length - 1}/${file.length}` } : {}),
  });
  if (dropAfterBytes !== undefined) {
    const cut = dropAfterBytes;
    dropAfterBytes = undefined;
    // Cutting the connection right after the write raced the client's disk write (sometimes nothing was
    // saved, and the retry rightly asked for the whole file): drop it only once the part is on disk.
    res.write(body.subarray(0, cut), () => {
      const timer = setInterval(() => {
        if (dropWhen?.() ?? true) {
          clearInterval(timer);
          res.socket?.destroy();
        }
      }, 5);
    });
    return;
  }
  res.end(body);
}

beforeAll(async () => {
  server = createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const tempDir = useTempDirs('docsight-dl-');
const tempDest = () => join(tempDir(), 'model.gguf');

describe('downloadFile', () => {
  it('downloads, verifies size and sha256, and reports progress up to the total', async () => {
    const dest = tempDest();
    const progress: number[] = [];
    await downloadFile({
      url: `${base}/model.gguf`,
      dest,
      expectedSize: file.length,
      sha256,
      onProgress: (p) => progress.push(p.received),
    });
    expect(readFileSync(dest).equals(file)).toBe(true);
    expect(progress.at(-1)).toBe(file.length);
    expect(existsSync(partialPath(dest))).toBe(false);
  });

  it('resumes with an HTTP Range request after the connection drops mid-file', async () => {
    const dest = tempDest();
    seenRanges.length = 0;
    dropAfterBytes = 100_000;
    dropWhen = () => existsSync(partialPath(dest)) && statSync(partialPath(dest)).size > 0;
    await downloadFile({
      url: `${base}/model.gguf`,
      dest,
      expectedSize: file.length,
      sha256,
      retryDelayMs: 10,
    });
    expect(readFileSync(dest).equals(file)).toBe(true);
    expect(seenRanges[0]).toBeUndefined();
    // The second request asked only for what was missing.
    expect(seenRanges[1]).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(seenRanges[1]!)![0])).toBeGreaterThan(0);
  });

  it('resumes a part left by an earlier, interrupted run', async () => {
    const dest = tempDest();
    writeFileSync(partialPath(dest), file.subarray(0, 5000));
    seenRanges.length = 0;
    await downloadFile({ url: `${base}/model.gguf`, dest, expectedSize: file.length, sha256 });
    expect(seenRanges).toEqual(['bytes=5000-']);
    expect(readFileSync(dest).equals(file)).toBe(true);
  });

  it('starts over when the server ignores the range', async () => {
    const dest = tempDest();
    writeFileSync(partialPath(dest), Buffer.alloc(5000, 7));
    await downloadFile({ url: `${base}/no-range.gguf`, dest, expectedSize: file.length, sha256 });
    expect(readFileSync(dest).equals(file)).toBe(true);
  });

  it('follows redirects, as the hub does to its CDN', async () => {
    const dest = tempDest();
    await downloadFile({ url: `${base}/redirect.gguf`, dest, sha256 });
    expect(readFileSync(dest).equals(file)).toBe(true);
  });

  it('rejects a wrong checksum, removes the bad file and leaves no final file', async () => {
    const dest = tempDest();
    const wrong = '0'.repeat(64);
    await expect(downloadFile({ url: `${base}/model.gguf`, dest, sha256: wrong })).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
      message: expect.stringContaining(`expected ${wrong}`),
    });
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(partialPath(dest))).toBe(false);
  });

  it('turns a 404 into a clear error without retrying', async () => {
    const dest = tempDest();
    await expect(downloadFile({ url: `${base}/missing.gguf`, dest })).rejects.toMatchObject({
      code: 'DOWNLOAD_FAILED',
      message: expect.stringMatching(/HTTP 404.*not on the server/),
    });
    expect(existsSync(dest)).toBe(false);
  });

  it('keeps the part and says how to resume when every attempt fails', async () => {
    const dest = tempDest();
    await expect(
      downloadFile({ url: 'http://127.0.0.1:1/model.gguf', dest, retries: 1, retryDelayMs: 1 }),
    ).rejects.toMatchObject({ code: 'DOWNLOAD_FAILED', message: expect.stringContaining('resume') });
  });
});
