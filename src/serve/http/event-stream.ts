import type { FastifyReply } from 'fastify';

/** A server-sent event stream on a reply, in the framing OpenAI clients read: `data: <json>\n\n` frames. */
export interface EventStream {
  /** Sends one `data:` frame (JSON-encoded unless a string such as `[DONE]`). */
  send(data: unknown): void;
  end(): void;
  /** Aborted when the client goes away before `end()`: pass it to the work so that it stops. */
  readonly clientGone: AbortSignal;
}

/**
 * Takes the reply over from Fastify and starts an SSE stream. Frames carry no `event:` field: the official
 * OpenAI clients silently drop frames that have one (FACTS.md), so errors go as `data: {"error":…}` too.
 *
 * @example
 *   const stream = startEventStream(reply);
 *   stream.send({ object: 'chat.completion.chunk', … });
 *   stream.send('[DONE]');
 *   stream.end();
 */
export function startEventStream(reply: FastifyReply): EventStream {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    // Proxies (nginx) would otherwise buffer the answer and deliver it in one piece at the end.
    'x-accel-buffering': 'no',
  });
  const gone = new AbortController();
  let ended = false;
  raw.on('close', () => {
    if (!ended) gone.abort(new Error('The client closed the connection.'));
  });
  return {
    send(data) {
      if (ended || raw.destroyed) return;
      raw.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    },
    end() {
      if (ended) return;
      ended = true;
      raw.end();
    },
    clientGone: gone.signal,
  };
}

/** An AbortSignal that fires when the client of a plain (non-streamed) request hangs up before the answer. */
export function clientGoneSignal(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) gone.abort(new Error('The client closed the connection.'));
  });
  return gone.signal;
}
