import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A test double of a remote OpenAI-compatible model server (llama-server, vLLM): it answers every
 * `POST /v1/chat/completions` with `answer` streamed word by word as SSE chunks, a finish reason and a usage
 * chunk, then `data: [DONE]` — the protocol's real shape. It records each request body and its headers.
 */
export interface FakeUpstreamServer {
  url: string;
  requests: { body: Record<string, unknown>; authorization?: string }[];
  /** What the next answers say. */
  answer: string;
  close(): Promise<void>;
}

export async function startFakeUpstreamServer(answer = 'The total is 9.90'): Promise<FakeUpstreamServer> {
  const server: Server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    fake.requests.push({
      body: JSON.parse(raw) as Record<string, unknown>,
      authorization: req.headers.authorization,
    });
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (obj: unknown) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
    const words = fake.answer.split(/(?<= )/);
    for (const word of words) send({ choices: [{ delta: { content: word }, finish_reason: null }] });
    send({ choices: [{ delta: {}, finish_reason: 'stop' }] });
    send({ choices: [], usage: { prompt_tokens: 300, completion_tokens: words.length } });
    res.end('data: [DONE]\n\n');
  });
  const fake: FakeUpstreamServer = {
    url: '',
    requests: [],
    answer,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
