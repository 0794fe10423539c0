import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { pngBomb } from '../../../read/intake/test-support/png-bomb.js';

/**
 * A corpus of bad requests for a live server, made at test time: each one with the status a client should get.
 * Every answer must be a 4xx with the OpenAI error body — never a 5xx, a hang or a dropped connection.
 */
export interface BadRequest {
  name: string;
  method?: 'GET' | 'POST';
  path?: string;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  status: number;
}

const dataUrl = (bytes: Uint8Array, mime = 'image/png') =>
  `data:${mime};base64,${Buffer.from(bytes).toString('base64')}`;

/** A chat request with one image part. */
const withImage = (url: string, extra: object = {}) => ({
  model: 'm',
  max_tokens: 2,
  messages: [
    {
      role: 'user',
      content: [
        { type: 'image_url', image_url: { url } },
        { type: 'text', text: 'What?' },
      ],
    },
  ],
  ...extra,
});
const chat = (extra: object) => ({
  model: 'm',
  max_tokens: 2,
  messages: [{ role: 'user', content: 'Hi' }],
  ...extra,
});

export async function badChatRequests(): Promise<BadRequest[]> {
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#fff' } })
    .png()
    .toBuffer();
  const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#fff' } })
    .jpeg()
    .toBuffer();
  const cases: BadRequest[] = [
    // Malformed bodies.
    { name: 'truncated JSON', body: '{"model": "m", "messages": [', status: 400 },
    { name: 'trailing comma', body: '{"model": "m",}', status: 400 },
    { name: 'single quotes', body: "{'model': 'm'}", status: 400 },
    { name: 'NaN literal', body: '{"model": "m", "temperature": NaN}', status: 400 },
    { name: 'empty body', body: '', status: 400 },
    { name: 'array body', body: [], status: 400 },
    { name: 'string body', body: 'hello', status: 400 },
    { name: 'number body', body: 42, status: 400 },
    { name: 'null body', body: null, status: 400 },
    { name: 'deeply nested JSON', body: `${'['.repeat(20_000)}${']'.repeat(20_000)}`, status: 400 },
    // Wrong types and ranges.
    { name: 'model is a number', body: chat({ model: 7 }), status: 400 },
    { name: 'model missing', body: { messages: [{ role: 'user', content: 'x' }] }, status: 400 },
    { name: 'messages is a string', body: chat({ messages: 'hello' }), status: 400 },
    { name: 'messages empty', body: chat({ messages: [] }), status: 400 },
    { name: 'unknown role', body: chat({ messages: [{ role: 'wizard', content: 'x' }] }), status: 400 },
    { name: 'content is a number', body: chat({ messages: [{ role: 'user', content: 5 }] }), status: 400 },
    {
      name: 'unknown part type',
      body: chat({ messages: [{ role: 'user', content: [{ type: 'audio', x: 1 }] }] }),
      status: 400,
    },
    {
      name: 'image part in a system message',
      body: chat({
        messages: [
          { role: 'system', content: [{ type: 'image_url', image_url: { url: dataUrl(png) } }] },
          { role: 'user', content: 'x' },
        ],
      }),
      status: 400,
    },
    { name: 'no user message', body: chat({ messages: [{ role: 'system', content: 'x' }] }), status: 400 },
    { name: 'max_tokens negative', body: chat({ max_tokens: -1 }), status: 400 },
    { name: 'max_tokens a string', body: chat({ max_tokens: 'ten' }), status: 400 },
    { name: 'max_tokens huge', body: chat({ max_tokens: 10_000_000 }), status: 400 },
    { name: 'temperature 5', body: chat({ temperature: 5 }), status: 400 },
    { name: 'top_p 0', body: chat({ top_p: 0 }), status: 400 },
    { name: 'five stop strings', body: chat({ stop: ['a', 'b', 'c', 'd', 'e'] }), status: 400 },
    { name: 'fractional seed', body: chat({ seed: 1.5 }), status: 400 },
    { name: 'stream is a string', body: chat({ stream: 'yes' }), status: 400 },
    { name: 'n of 2', body: chat({ n: 2 }), status: 400 },
    {
      name: 'json_schema schema not an object',
      body: chat({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: 'yes' } } }),
      status: 400,
    },
    { name: 'response_format unknown type', body: chat({ response_format: { type: 'xml' } }), status: 400 },
    // Unknown fields, at every level.
    { name: 'unknown top-level field', body: chat({ tools: [] }), status: 400 },
    {
      name: 'unknown message field',
      body: chat({ messages: [{ role: 'user', content: 'x', mood: 'happy' }] }),
      status: 400,
    },
    {
      name: 'unknown stream option',
      body: chat({ stream: true, stream_options: { include_everything: true } }),
      status: 400,
    },
    // Image data that is not an image, or not what it claims.
    {
      name: 'base64 with bad characters',
      body: withImage('data:image/png;base64,iVBOR*w0KGgo='),
      status: 400,
    },
    { name: 'base64 with bad padding', body: withImage('data:image/png;base64,iVBORw0KGgo'), status: 400 },
    { name: 'empty base64 payload', body: withImage('data:image/png;base64,'), status: 400 },
    { name: 'data URL without base64', body: withImage('data:image/png,rawbytes'), status: 400 },
    { name: 'truncated PNG', body: withImage(dataUrl(png.subarray(0, 60))), status: 400 },
    {
      name: 'truncated JPEG',
      body: withImage(dataUrl(jpeg.subarray(0, jpeg.length / 3), 'image/jpeg')),
      status: 400,
    },
    { name: 'PNG bomb 20000x20000', body: withImage(dataUrl(pngBomb(20_000, 20_000))), status: 413 },
    { name: 'PNG bomb 100000x100000', body: withImage(dataUrl(pngBomb(100_000, 100_000))), status: 413 },
    {
      name: 'text sent as image/png',
      body: withImage(dataUrl(Buffer.from('not an image at all'))),
      status: 415,
    },
    {
      name: 'zip sent as image/png',
      body: withImage(dataUrl(Buffer.concat([Buffer.from('PK\x03\x04'), deflateSync(Buffer.alloc(64))]))),
      status: 415,
    },
    {
      name: 'HTML sent as image',
      body: withImage(dataUrl(Buffer.from('<html><script>alert(1)</script></html>'), 'text/html')),
      status: 415,
    },
    {
      name: 'nine images (over the limit)',
      body: {
        model: 'm',
        messages: [
          {
            role: 'user',
            content: Array.from({ length: 9 }, () => ({
              type: 'image_url',
              image_url: { url: dataUrl(png) },
            })),
          },
        ],
      },
      status: 400,
    },
    // URLs the server must never fetch.
    { name: 'loopback image URL', body: withImage('http://127.0.0.1:8080/health'), status: 400 },
    { name: 'cloud metadata URL', body: withImage('http://169.254.169.254/latest/meta-data/'), status: 400 },
    { name: 'IPv6 loopback URL', body: withImage('http://[::1]/'), status: 400 },
    { name: 'file URL', body: withImage('file:///etc/passwd'), status: 400 },
    { name: 'ftp URL', body: withImage('ftp://example.com/a.png'), status: 400 },
    { name: 'gopher URL', body: withImage('gopher://127.0.0.1:6379/_INFO'), status: 400 },
    { name: 'path as image URL', body: withImage('../../../../etc/passwd'), status: 400 },
    {
      name: 'docsight URL with traversal',
      body: withImage('docsight://pages/../../etc/passwd'),
      status: 400,
    },
    // Transport-level problems.
    { name: 'text/plain body', headers: { 'content-type': 'text/plain' }, body: 'hello', status: 415 },
    {
      name: 'multipart to a JSON endpoint',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: '--x--',
      status: 415,
    },
    { name: 'huge header', headers: { 'x-padding': 'a'.repeat(20_000) }, body: chat({}), status: 431 },
    { name: 'GET on a POST route', method: 'GET', status: 404 },
    { name: 'unknown API route', method: 'GET', path: '/v1/engines', status: 404 },
    { name: 'path traversal in the URL', method: 'GET', path: '/v1/../../etc/passwd', status: 404 },
    {
      name: 'encoded traversal in the URL',
      method: 'GET',
      path: '/v1/%2e%2e/%2e%2e/etc/passwd',
      status: 404,
    },
  ];
  return cases;
}

/** Harmless oddities a server must answer normally — and the strings must not be used as paths. */
export function oddButValidChatRequests(): { name: string; body: unknown }[] {
  return [
    { name: 'model named like a path', body: chat({ model: '../../../../etc/passwd' }) },
    {
      name: 'prompt holding a path and a URL',
      body: chat({ messages: [{ role: 'user', content: 'file:///etc/shadow http://169.254.169.254/' }] }),
    },
    { name: 'user field with control characters', body: chat({ user: '\u001b[31mred\u0000' }) },
  ];
}
