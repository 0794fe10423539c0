import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type ConfigOverrides } from '../config/config.js';
import { useTempDirs } from '../test-support/temp-dir.js';
import { createConfiguredEngine, threadsPerSlot } from './create-engine.js';
import type { LlamaChatDelta, LlamaEngine } from './engine/llama-engine.js';
import { testImage, tinyModel } from './engine/test-support/test-models.js';
import { collectText, type ChatRequest } from './vision-language-engine.js';

const tempHome = useTempDirs('docsight-engine-home-');
const configWith = (understand: ConfigOverrides['understand']) =>
  loadConfig({ env: {}, flags: { home: tempHome(), understand } });

describe('createConfiguredEngine', () => {
  it('says how to get the model when the llama backend has none', () => {
    expect(() => createConfiguredEngine(configWith({}))).toThrow(/not installed.*docsight models pull/);
  });

  it('shares the cores out between llama slots unless threads are set', () => {
    expect(threadsPerSlot(1, 8)).toBe(8);
    expect(threadsPerSlot(2, 8)).toBe(4);
    expect(threadsPerSlot(3, 2)).toBe(1);
  });

  it('streams from the configured OpenAI-compatible upstream, with the API key', async () => {
    // A test double of a remote llama-server: one fixed answer in the protocol's SSE chunks.
    let authorization: string | undefined;
    const server: Server = createServer((req, res) => {
      authorization = req.headers.authorization;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: 'upstream answer' } }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const { engine, backend, modelFiles } = createConfiguredEngine(
        configWith({ backend: 'openai', upstreams: [url], apiKey: 'sk-test', slots: 2 }),
      );
      expect(backend).toBe('openai');
      expect(modelFiles).toBeUndefined();
      const { text } = await collectText(engine.chat({ messages: [{ role: 'user', content: 'Hi' }] }));
      expect(text).toBe('upstream answer');
      expect(authorization).toBe('Bearer sk-test');
      expect(engine.stats()).toMatchObject({ slots: 2, completed: 1 });
      await engine.close();
    } finally {
      server.close();
    }
  });
});

// The real path: tiny synthetic GGUFs, the compiled addon, one worker process per slot.
const native = process.env.DOCSIGHT_SKIP_NATIVE === '1' ? describe.skip : describe;

native('createConfiguredEngine: llama slots (tiny synthetic Qwen3-VL, real llama.cpp)', () => {
  let files: Awaited<ReturnType<typeof tinyModel>>;
  beforeAll(async () => {
    files = await tinyModel();
  });
  afterAll(() => rm(files.dir, { recursive: true, force: true }));

  const llamaConfig = (extra: ConfigOverrides['understand'] = {}) =>
    configWith({
      modelPath: files.model,
      mmprojPath: files.mmproj,
      threads: 1,
      contextSize: 16384,
      ...extra,
    });
  const ask = (question: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
    messages: [{ role: 'user', content: question }],
    ...extra,
  });

  it('answers two requests at once on two worker processes', async () => {
    const { engine } = createConfiguredEngine(llamaConfig({ slots: 2 }));
    try {
      const page = await testImage(96);
      const answers = await Promise.all([
        collectText(engine.chat(ask('Title?', { images: [page], maxTokens: 3 }))),
        collectText(engine.chat(ask('Date?', { images: [page], maxTokens: 3 }))),
      ]);
      expect(answers.every((a) => a.done?.type === 'done')).toBe(true);
      const pids = (engine.slots as LlamaEngine[]).map((slot) => slot.pid);
      expect(new Set(pids).size).toBe(2);
      expect(pids.every((pid) => typeof pid === 'number')).toBe(true);
    } finally {
      await engine.close();
    }
  });

  /** A generation that would run for 12 000 tokens unless stopped (the engine ignores end-of-sequence). */
  const endless = (signal?: AbortSignal) => (slot: LlamaEngine, request: ChatRequest) =>
    slot.chat({ ...request, signal: request.signal ?? signal, maxTokens: 12_000, ignoreEos: true });

  it('a cancelled request stops the native generation and frees its slot; the worker lives on', async () => {
    const { engine } = createConfiguredEngine(llamaConfig({ slots: 1 }));
    try {
      const slot = engine.slots[0] as LlamaEngine;
      const controller = new AbortController();
      let pieces = 0;
      let cancelled: Extract<LlamaChatDelta, { type: 'done' }> | undefined;
      const long = (async () => {
        for await (const d of engine.chatOnSlot(
          ask('Write a long essay.', { signal: controller.signal }),
          (s, r) => endless()(s as LlamaEngine, r),
        )) {
          if (d.type === 'text' && ++pieces === 3) controller.abort();
          if (d.type === 'done') cancelled = d;
        }
      })();
      // Queued behind it: runs only once the cancelled generation has really stopped.
      const next = engine.chatOnSlot(ask('Hi', { maxTokens: 3 }), (s, r) =>
        (s as LlamaEngine).chat({ ...r, ignoreEos: true }),
      );
      let nextDone: Extract<LlamaChatDelta, { type: 'done' }> | undefined;
      for await (const d of next) if (d.type === 'done') nextDone = d;
      await long;
      const pid = slot.pid;
      expect(cancelled?.finishReason).toBe('cancelled');
      expect(cancelled!.stats.generatedTokens).toBeLessThan(1000);
      expect(nextDone?.stats.generatedTokens).toBe(3);
      expect(slot.pid).toBe(pid);
      expect(slot.restartCount).toBe(0);
      expect(engine.stats()).toMatchObject({ cancelled: 1, completed: 1, running: 0 });
    } finally {
      await engine.close();
    }
  });

  it('a request past its timeout is stopped with TIMEOUT, and the same worker answers the next', async () => {
    const { engine } = createConfiguredEngine(llamaConfig({ slots: 1, requestTimeoutMs: 300 }));
    try {
      const slot = engine.slots[0] as LlamaEngine;
      await slot.start(); // loading the model is not part of the request's time here
      const pid = slot.pid;
      const timedOut = collectText(
        engine.chatOnSlot(ask('Write a long essay.'), (s, r) => endless()(s as LlamaEngine, r)),
      );
      await expect(timedOut).rejects.toMatchObject({ code: 'TIMEOUT' });
      const after = await collectText(engine.chat(ask('Hi', { maxTokens: 2 })));
      expect(after.done?.type).toBe('done');
      expect(slot.pid).toBe(pid);
      expect(slot.restartCount).toBe(0);
      expect(engine.stats()).toMatchObject({ failed: 1, completed: 1 });
    } finally {
      await engine.close();
    }
  });
});
