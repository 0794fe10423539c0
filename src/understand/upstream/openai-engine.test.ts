import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectText } from '../vision-language-engine.js';
import { createOpenAiEngine, normaliseBaseUrl } from './openai-engine.js';

/**
 * Small local servers that speak the OpenAI chat-completions protocol the way llama-server does
 * (SSE chunks, a usage chunk, `data: [DONE]`). They echo back what they were sent so the tests can check
 * the wire format, and can be told to fail.
 */
interface FakeUpstream {
  server: Server;
  url: string;
  bodies: Record<string, unknown>[];
  mode: 'ok' | 'error500' | 'bad-request' | 'slow';
  closedEarly: boolean;
}

async function startUpstream(name: string): Promise<FakeUpstream> {
  const upstream: FakeUpstream = {
    server: createServer(),
    url: '',
    bodies: [],
    mode: 'ok',
    closedEarly: false,
  };
  upstream.server.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[{"id":"m"}]}');
      return;
    }
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw) as Record<string, unknown>;
    upstream.bodies.push(body);
    if (upstream.mode === 'error500') return void res.writeHead(503).end('overloaded');
    if (upstream.mode === 'bad-request') {
      return void res
        .writeHead(400)
        .end('{"error":{"message":"image too large","type":"invalid_request_error"}}');
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (obj: unknown) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
    const words = [`from ${name}:`, ' hello', ' world'];
    if (upstream.mode === 'slow') {
      // Streams a token every 20 ms until the client hangs up, as a long generation would.
      const timer = setInterval(() => send({ choices: [{ delta: { content: ' tok' } }] }), 20);
      res.on('close', () => {
        clearInterval(timer);
        upstream.closedEarly = !res.writableEnded;
      });
      return;
    }
    for (const w of words) send({ choices: [{ delta: { content: w }, finish_reason: null }] });
    send({ choices: [{ delta: {}, finish_reason: 'length' }] });
    send({
      choices: [],
      usage: { prompt_tokens: 210, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 200 } },
    });
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
  upstream.url = `http://127.0.0.1:${(upstream.server.address() as AddressInfo).port}`;
  return upstream;
}

let a: FakeUpstream;
let b: FakeUpstream;
beforeAll(async () => {
  a = await startUpstream('a');
  b = await startUpstream('b');
});
afterAll(async () => {
  for (const u of [a, b]) {
    u.server.closeAllConnections();
    await new Promise((r) => u.server.close(r));
  }
});
const reset = () => {
  for (const u of [a, b]) {
    u.bodies.length = 0;
    u.mode = 'ok';
  }
};

const png = { png: Buffer.from([0x89, 0x50, 0x4e, 0x47]), sha256: 'x' };

describe('createOpenAiEngine', () => {
  it('streams the answer and reports finish reason, usage with cached tokens, and the times it saw', async () => {
    reset();
    const engine = createOpenAiEngine({ baseUrls: [a.url], model: 'qwen3-vl' });
    const { text, done } = await collectText(engine.chat({ messages: [{ role: 'user', content: 'Hi' }] }));
    expect(text).toBe('from a: hello world');
    expect(done).toEqual({
      type: 'done',
      finishReason: 'length',
      usage: { promptTokens: 210, completionTokens: 3, cachedTokens: 200 },
      stats: { firstTextMs: expect.any(Number), totalMs: expect.any(Number) },
    });
    const stats = done!.type === 'done' ? done!.stats! : {};
    expect(stats.firstTextMs).toBeLessThanOrEqual(stats.totalMs!);
  });

  it('sends images as data-URL image_url parts before the question, with the sampling settings', async () => {
    reset();
    const engine = createOpenAiEngine({ baseUrls: [`${a.url}/v1/`], model: 'qwen3-vl', apiKey: 'k' });
    const schema = { type: 'object', properties: { total: { type: 'string' } } };
    await collectText(
      engine.chat({
        messages: [{ role: 'user', content: 'Total?' }],
        images: [png],
        maxTokens: 64,
        temperature: 0,
        stop: ['\n\n'],
        jsonSchema: schema,
      }),
    );
    const sent = a.bodies[0]!;
    expect(sent).toMatchObject({
      model: 'qwen3-vl',
      stream: true,
      max_tokens: 64,
      temperature: 0,
      stop: ['\n\n'],
    });
    expect(sent.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: `data:image/png;base64,${png.png.toString('base64')}` } },
          { type: 'text', text: 'Total?' },
        ],
      },
    ]);
    expect(sent.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'output', schema } });
  });

  it('rotates requests over upstreams', async () => {
    reset();
    const engine = createOpenAiEngine({ baseUrls: [a.url, b.url], model: 'm' });
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push((await collectText(engine.chat({ messages: [{ role: 'user', content: 'q' }] }))).text);
    expect(answers.map((t) => t.slice(5, 6))).toEqual(['a', 'b', 'a', 'b']);
  });

  it('skips an upstream that is down or failing, and says which failed when all do', async () => {
    reset();
    const dead = 'http://127.0.0.1:1';
    const engine = createOpenAiEngine({ baseUrls: [dead, a.url], model: 'm' });
    expect((await collectText(engine.chat({ messages: [{ role: 'user', content: 'q' }] }))).text).toMatch(
      /^from a/,
    );
    a.mode = 'error500';
    const failing = createOpenAiEngine({ baseUrls: [dead, a.url], model: 'm' });
    await expect(
      collectText(failing.chat({ messages: [{ role: 'user', content: 'q' }] })),
    ).rejects.toMatchObject({
      code: 'ENGINE_FAILED',
      message: expect.stringMatching(/127\.0\.0\.1:1.*HTTP 503 overloaded/),
    });
  });

  it('passes a request error through without trying other upstreams', async () => {
    reset();
    a.mode = 'bad-request';
    const engine = createOpenAiEngine({ baseUrls: [a.url, b.url], model: 'm' });
    await expect(
      collectText(engine.chat({ messages: [{ role: 'user', content: 'q' }] })),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('image too large'),
    });
    expect(b.bodies).toHaveLength(0);
  });

  it('stops the upstream generation when the caller aborts', async () => {
    reset();
    a.mode = 'slow';
    const engine = createOpenAiEngine({ baseUrls: [a.url], model: 'm' });
    const controller = new AbortController();
    const deltas = [];
    for await (const delta of engine.chat({
      messages: [{ role: 'user', content: 'q' }],
      signal: controller.signal,
    })) {
      deltas.push(delta);
      if (deltas.length === 3) controller.abort();
    }
    expect(deltas.at(-1)).toMatchObject({ type: 'done', finishReason: 'cancelled' });
    await new Promise((r) => setTimeout(r, 50));
    expect(a.closedEarly).toBe(true);
  });

  it('reports health from the upstreams’ /v1/models', async () => {
    reset();
    const engine = createOpenAiEngine({ baseUrls: [a.url, 'http://127.0.0.1:1'], model: 'm' });
    const status = await engine.status();
    expect(status.ready).toBe(true);
    expect(status.detail).toMatch(/\/v1 ok.*127\.0\.0\.1:1\/v1 down/);
  });
});

describe('normaliseBaseUrl', () => {
  it('accepts the forms people paste', () => {
    expect(normaliseBaseUrl('http://h:8080')).toBe('http://h:8080/v1');
    expect(normaliseBaseUrl('http://h:8080/v1/')).toBe('http://h:8080/v1');
  });
});
