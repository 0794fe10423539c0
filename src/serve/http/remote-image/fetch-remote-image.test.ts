import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchRemoteImage, requestPinned, type RemoteImagePolicy } from './fetch-remote-image.js';

// A local HTTP server stands in for an image host. The server's real rule refuses loopback, so the tests that
// need a successful fetch allow exactly 127.0.0.1 through the test-only hook; every other address still
// follows the real rule, and the last tests run with no hook at all.
describe('fetchRemoteImage', () => {
  let server: Server;
  let port: number;
  const image = Buffer.alloc(5000, 7);
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url!);
      const [path, query] = req.url!.split('?');
      const to = new URLSearchParams(query).get('to');
      if (path === '/image.png') res.writeHead(200, { 'content-type': 'image/png' }).end(image);
      else if (path === '/redirect')
        res.writeHead(302, { location: to!.replace('PORT', String(port)) }).end();
      else if (path === '/loop') res.writeHead(301, { location: '/loop' }).end();
      else if (path === '/chunked') {
        // No content-length: the size limit must act on the bytes as they arrive.
        res.writeHead(200, { 'content-type': 'image/png' });
        let sent = 0;
        const more = () => {
          if (sent >= 100_000 || res.destroyed) return void res.end();
          sent += 10_000;
          res.write(Buffer.alloc(10_000, 1), more);
        };
        more();
      } else if (path === '/slow') setTimeout(() => res.end(image), 2_000).unref();
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const policy = (over: Partial<RemoteImagePolicy> = {}): RemoteImagePolicy => ({
    allow: ['127.0.0.1', '127.0.0.2', 'localhost'],
    maxBytes: 10_000,
    timeoutMs: 5_000,
    ...over,
  });
  const onlyThisLoopback = { testOnlyAddressPolicy: (address: string) => address === '127.0.0.1' };
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;

  it('fetches an image from an allowed host', async () => {
    const bytes = await fetchRemoteImage(url('/image.png'), policy(), onlyThisLoopback);
    expect(Buffer.from(bytes).equals(image)).toBe(true);
  });

  it('follows a redirect to an allowed host, re-checking it', async () => {
    const bytes = await fetchRemoteImage(
      url(`/redirect?to=${encodeURIComponent('http://127.0.0.1:PORT/image.png')}`),
      policy(),
      onlyThisLoopback,
    );
    expect(bytes.length).toBe(image.length);
  });

  it.each([
    [
      'a host not on the allow-list',
      '/image.png',
      { allow: ['images.example.com'] },
      /127\.0\.0\.1 is not allowed/,
    ],
    ['a body over maxBytes (content-length)', '/image.png', { maxBytes: 4096 }, /larger than 4096 bytes/],
    ['a body over maxBytes (streamed)', '/chunked', { maxBytes: 25_000 }, /larger than 25000 bytes/],
    ['an error status', '/missing.png', {}, /answered HTTP 404/],
    ['more than 3 redirects', '/loop', {}, /more than 3 redirects/],
    ['a slow server', '/slow', { timeoutMs: 300 }, /within 0.3 s/],
  ])('refuses %s with a 400 saying why', async (_name, path, over, why) => {
    const error = await fetchRemoteImage(url(path), policy(over), { ...onlyThisLoopback, param: 'p' }).catch(
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ code: 'BAD_REQUEST', param: 'p', message: expect.stringMatching(why) });
  });

  it('refuses a redirect from an allowed host to another loopback address, before connecting to it', async () => {
    requests.length = 0;
    const to = encodeURIComponent('http://127.0.0.2:PORT/image.png');
    await expect(
      fetchRemoteImage(url(`/redirect?to=${to}`), policy(), onlyThisLoopback),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/resolves to 127\.0\.0\.2, a loopback address/),
    });
    await expect(
      fetchRemoteImage(
        url(`/redirect?to=${encodeURIComponent('http://evil.example/x.png')}`),
        policy(),
        onlyThisLoopback,
      ),
    ).rejects.toMatchObject({ message: expect.stringMatching(/evil\.example is not allowed .*redirect/) });
    expect(requests.every((r) => r.startsWith('/redirect'))).toBe(true);
  });

  it('refuses other schemes and URLs with credentials', async () => {
    for (const [bad, why] of [
      ['file:///etc/passwd', /only http and https/],
      [`http://user:pw@127.0.0.1:${port}/image.png`, /credentials/],
      ['not a url', /not a valid URL/],
    ] as const) {
      await expect(fetchRemoteImage(bad, policy(), onlyThisLoopback)).rejects.toMatchObject({
        message: expect.stringMatching(why),
      });
    }
  });

  it('connects to the address that was checked, whatever the name would resolve to now (DNS rebinding)', async () => {
    // The name does not resolve at all (.invalid is reserved): only the pinned lookup can reach the server.
    const response = await requestPinned(
      new URL(`http://images.invalid:${port}/image.png`),
      { address: '127.0.0.1', family: 4 },
      AbortSignal.timeout(5_000),
    );
    expect(response.statusCode).toBe(200);
    expect(Buffer.from(await response.body.arrayBuffer()).equals(image)).toBe(true);
  });

  describe('with the real address rule (no test hook)', () => {
    it('refuses 127.0.0.1 even though the host is on the allow-list, without connecting', async () => {
      requests.length = 0;
      await expect(fetchRemoteImage(url('/image.png'), policy())).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringMatching(/resolves to 127\.0\.0\.1, a loopback address; only public addresses/),
      });
      expect(requests).toEqual([]);
    });

    it('refuses a name that resolves to loopback (localhost), and IPv4-mapped loopback literals', async () => {
      await expect(fetchRemoteImage(`http://localhost:${port}/image.png`, policy())).rejects.toMatchObject({
        message: expect.stringMatching(/localhost resolves to .*loopback/),
      });
      await expect(
        fetchRemoteImage(`http://[::ffff:127.0.0.1]:${port}/image.png`, policy({ allow: ['::ffff:7f00:1'] })),
      ).rejects.toMatchObject({ message: expect.stringMatching(/loopback address/) });
    });
  });
});
