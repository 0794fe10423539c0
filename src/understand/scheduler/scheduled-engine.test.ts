import { describe, expect, it } from 'vitest';
import { DocSightError } from '../../errors.js';
import type { ChatDelta, ChatRequest, EngineImage, VisionLanguageEngine } from '../vision-language-engine.js';
import { createScheduledEngine } from './scheduled-engine.js';

/**
 * A test double of a model backend: streams `tokens` words (or the request's maxTokens), one every `intervalMs`, and stops at the next word
 * when the request's signal fires — as the llama worker and the upstream client do. It records what it ran.
 */
class ScriptedEngine implements VisionLanguageEngine {
  readonly ran: string[] = [];
  aborted = 0;
  /** Generations whose reader stopped reading before the end (the generator was returned). */
  abandoned = 0;
  closed = false;
  constructor(
    readonly name: string,
    private readonly tokens = 3,
    private readonly intervalMs = 5,
  ) {}
  async *chat(request: ChatRequest): AsyncGenerator<ChatDelta> {
    const question = String(request.messages.at(-1)?.content);
    this.ran.push(question);
    const tokens = request.maxTokens ?? this.tokens;
    let ended = false;
    try {
      for (let i = 0; i < tokens; i++) {
        await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
        if (request.signal?.aborted) {
          this.aborted++;
          ended = true;
          yield { type: 'done', finishReason: 'cancelled', usage: { promptTokens: 1, completionTokens: i } };
          return;
        }
        yield { type: 'text', text: `${this.name}:${question}:${i} ` };
      }
      ended = true;
      yield { type: 'done', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: tokens } };
    } finally {
      if (!ended) this.abandoned++;
    }
  }
  async status() {
    return { backend: 'llama' as const, ready: true, model: this.name };
  }
  async close() {
    this.closed = true;
  }
}

const ask = (question: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  messages: [{ role: 'user', content: question }],
  ...extra,
});

async function collect(stream: AsyncIterable<ChatDelta>) {
  let text = '';
  let done: Extract<ChatDelta, { type: 'done' }> | undefined;
  for await (const delta of stream) {
    if (delta.type === 'text') text += delta.text;
    else done = delta;
  }
  return { text, done };
}

const page = (sha256: string): EngineImage => ({ png: Buffer.alloc(0), sha256 });

describe('createScheduledEngine', () => {
  it('runs one request per slot and the rest in arrival order', async () => {
    const a = new ScriptedEngine('a', 3, 10);
    const b = new ScriptedEngine('b', 3, 10);
    const engine = createScheduledEngine({ slots: [a, b], maxQueue: 4, timeoutMs: 0 });
    const finished: string[] = [];
    const requests = ['q1', 'q2', 'q3', 'q4'].map((q) =>
      collect(engine.chat(ask(q))).then(() => finished.push(q)),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(engine.stats()).toMatchObject({ running: 2, queued: 2, slots: 2 });
    await Promise.all(requests);
    expect(finished).toEqual(['q1', 'q2', 'q3', 'q4']);
    expect([...a.ran, ...b.ran].sort()).toEqual(['q1', 'q2', 'q3', 'q4']);
    expect(a.ran).toHaveLength(2); // both slots were used
    expect(engine.stats()).toMatchObject({ running: 0, queued: 0, completed: 4, failed: 0 });
  });

  it('refuses a request with BUSY when the queue is full, saying what is running and waiting', async () => {
    const engine = createScheduledEngine({
      slots: [new ScriptedEngine('a', 5, 10)],
      maxQueue: 1,
      timeoutMs: 0,
    });
    const running = collect(engine.chat(ask('first')));
    const waiting = collect(engine.chat(ask('second')));
    await new Promise((resolve) => setTimeout(resolve, 1));
    const refused = collect(engine.chat(ask('third')));
    await expect(refused).rejects.toMatchObject({
      code: 'BUSY',
      message: expect.stringMatching(/busy \(1 running, 1 waiting\)\. Retry/),
    });
    await Promise.all([running, waiting]);
    expect(engine.stats()).toMatchObject({ completed: 2, rejected: 1 });
  });

  it('stops a request that runs past its timeout: the backend is aborted and the caller gets TIMEOUT', async () => {
    const backend = new ScriptedEngine('a', 1000, 5);
    const engine = createScheduledEngine({ slots: [backend], maxQueue: 1, timeoutMs: 40 });
    let text = '';
    const run = (async () => {
      for await (const delta of engine.chat(ask('long'))) if (delta.type === 'text') text += delta.text;
    })();
    await expect(run).rejects.toMatchObject({ code: 'TIMEOUT', message: /longer than 0.04 s/ });
    expect(text.length).toBeGreaterThan(0); // what streamed before the limit was delivered
    expect(backend.aborted).toBe(1);
    // A request's own limit beats the engine's (here: none).
    const unlimited = createScheduledEngine({ slots: [backend], maxQueue: 1, timeoutMs: 0 });
    await expect(collect(unlimited.chat({ ...ask('long'), timeoutMs: 30 }))).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    expect(backend.aborted).toBe(2);
    expect(engine.stats()).toMatchObject({ failed: 1, completed: 0, running: 0 });
  });

  it('passes a caller cancel to the backend and frees the slot for the next request', async () => {
    const backend = new ScriptedEngine('a', 1000, 5);
    const engine = createScheduledEngine({ slots: [backend], maxQueue: 2, timeoutMs: 0 });
    const controller = new AbortController();
    const cancelled = collect(engine.chat(ask('long', { signal: controller.signal })));
    const next = collect(engine.chat(ask('next', { maxTokens: 2 })));
    setTimeout(() => controller.abort(), 20);
    expect((await cancelled).done?.finishReason).toBe('cancelled');
    expect((await next).done?.finishReason).toBe('stop');
    expect(backend.ran).toEqual(['long', 'next']);
    expect(engine.stats()).toMatchObject({ cancelled: 1, completed: 1 });
  });

  it('counts a caller that stops reading mid-answer as cancelled, and one that stops after it as completed', async () => {
    const backend = new ScriptedEngine('a', 1000, 2);
    const engine = createScheduledEngine({ slots: [backend], maxQueue: 1, timeoutMs: 0 });
    for await (const delta of engine.chat(ask('long'))) if (delta.type === 'text') break;
    expect(backend.abandoned).toBe(1); // the backend's stream was closed, so it stopped generating
    for await (const delta of engine.chat(ask('short', { maxTokens: 1 }))) if (delta.type === 'done') break;
    expect(engine.stats()).toMatchObject({ cancelled: 1, completed: 1, running: 0 });
  });

  it('drops a request cancelled while it waits, without running it', async () => {
    const backend = new ScriptedEngine('a', 3, 10);
    const engine = createScheduledEngine({ slots: [backend], maxQueue: 2, timeoutMs: 0 });
    const controller = new AbortController();
    const first = collect(engine.chat(ask('first')));
    const waiting = collect(engine.chat(ask('waiting', { signal: controller.signal })));
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(DocSightError);
    await first;
    expect(backend.ran).toEqual(['first']);
    expect(engine.stats()).toMatchObject({ cancelled: 1, queued: 0 });
  });

  it('sends a follow-up about the same images to the slot that already holds them', async () => {
    const a = new ScriptedEngine('a', 1, 1);
    const b = new ScriptedEngine('b', 1, 1);
    const engine = createScheduledEngine({ slots: [a, b], maxQueue: 4, timeoutMs: 0 });
    await collect(engine.chat(ask('invoice?', { images: [page('invoice')] })));
    await collect(engine.chat(ask('contract?', { images: [page('contract')] })));
    const holder = a.ran.includes('invoice?') ? a : b;
    await collect(engine.chat(ask('invoice total?', { images: [page('invoice')] })));
    expect(holder.ran).toEqual(['invoice?', 'invoice total?']);
  });

  it('runs every step of chatOnSlot on one slot, under one admission', async () => {
    const a = new ScriptedEngine('a', 1, 1);
    const b = new ScriptedEngine('b', 1, 1);
    const engine = createScheduledEngine({ slots: [a, b], maxQueue: 4, timeoutMs: 0 });
    const stream = engine.chatOnSlot(ask('x'), async function* (slot, request) {
      yield* slot.chat(request);
      yield* slot.chat({ ...request, messages: [{ role: 'user', content: 'y' }] });
    });
    await collect(stream);
    const used = a.ran.length > 0 ? a : b;
    expect(used.ran).toEqual(['x', 'y']);
    expect(engine.stats()).toMatchObject({ completed: 1 });
  });

  it('reports tokens per second of recent requests, and closes each engine once', async () => {
    const shared = new ScriptedEngine('upstream', 4, 5);
    const engine = createScheduledEngine({ slots: [shared, shared], maxQueue: 4, timeoutMs: 0 });
    expect(engine.stats().recentTokensPerSecond).toBeUndefined();
    await Promise.all([collect(engine.chat(ask('a'))), collect(engine.chat(ask('b')))]);
    const stats = engine.stats();
    expect(stats.recentRequests).toBe(2);
    // 4 tokens 5 ms apart: at most 200 tokens/s, and far more than 1 on any machine.
    expect(stats.recentTokensPerSecond).toBeGreaterThan(1);
    expect(stats.recentTokensPerSecond).toBeLessThanOrEqual(200);
    expect((await engine.status()).detail).toMatch(/2 slot\(s\), 0 running, 0 queued/);
    await engine.close();
    expect(shared.closed).toBe(true);
  });
});
