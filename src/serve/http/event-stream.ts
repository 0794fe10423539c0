import type { FastifyReply } from 'fastify';
import { toHttpError } from './error-response.js';
import { startRequestDeadline } from './request-deadline.js';

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
  // Headers go now, not with the first frame: a client of a quiet stream (job events) knows it is connected.
  raw.flushHeaders();
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

/** How a generation's events become SSE frames. */
export interface AnswerStreamFrames<E> {
  /** Frames sent first, before any event (OpenAI's role delta). */
  start?: unknown[];
  /** The frames of one event. */
  frames(event: E): unknown[];
  /** Frames sent last, also after an error (OpenAI's `[DONE]`). */
  end?: unknown[];
  /**
   * Longest the first event may take (queue wait, image encoding, prompt), ms; past it the work is stopped and
   * the request is a 504 before any byte is sent (server.requestTimeoutMs). 0 or absent: no limit.
   */
  firstEventTimeoutMs?: number;
}

/**
 * Streams a generation as server-sent events. Its first event is awaited before the response starts, so a busy
 * queue, a missing model or a bad input is still an ordinary HTTP error (429, 503, 400) rather than an error
 * inside a 200 stream; after that an error travels as a `data: {"error":…}` frame (the official OpenAI
 * clients raise it as an APIError). A client that hangs up aborts `controller`, which stops the engine.
 *
 * @example
 *   await streamAnswer(reply, events, controller, { frames: (e) => [e], end: ['[DONE]'] });
 */
export async function streamAnswer<E>(
  reply: FastifyReply,
  events: AsyncIterable<E>,
  controller: AbortController,
  shape: AnswerStreamFrames<E>,
): Promise<void> {
  const iterator = events[Symbol.asyncIterator]();
  const deadline = startRequestDeadline(controller, shape.firstEventTimeoutMs ?? 0);
  let next: IteratorResult<E>;
  try {
    next = await iterator.next();
    if (deadline.expired) throw deadline.explain(undefined);
  } catch (err) {
    throw deadline.explain(err);
  } finally {
    deadline.clear();
  }
  // Once the 200 has gone, the generation is bounded by understand.requestTimeoutMs, whose TIMEOUT arrives as
  // an error frame.
  const stream = startEventStream(reply);
  stream.clientGone.addEventListener('abort', () => controller.abort());
  try {
    for (const frame of shape.start ?? []) stream.send(frame);
    for (; !next.done; next = await iterator.next()) {
      for (const frame of shape.frames(next.value)) stream.send(frame);
    }
  } catch (err) {
    if (!stream.clientGone.aborted) stream.send(toHttpError(err).body);
  } finally {
    for (const frame of shape.end ?? []) stream.send(frame);
    stream.end();
    await iterator.return?.(undefined);
  }
}
