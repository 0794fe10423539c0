import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDocSightError } from '../../errors.js';
import { synthesizeQwen3Vl } from '../../models/synthetic/qwen3vl-synth.js';
import type { ChatMessage, EngineImage } from '../vision-language-engine.js';
import { createLlamaEngine, type LlamaChatDelta, type LlamaEngine } from './llama-engine.js';
import { testImage, tinyModel } from './test-support/test-models.js';

// The real path: tiny synthetic GGUFs of the qwen3vl architecture, the compiled addon, a worker process.
// Set DOCSIGHT_SKIP_NATIVE=1 only where the addon was deliberately not built.
const native = process.env.DOCSIGHT_SKIP_NATIVE === '1' ? describe.skip : describe;

native('LlamaEngine (tiny synthetic Qwen3-VL, real llama.cpp in a worker process)', () => {
  let files: Awaited<ReturnType<typeof tinyModel>>;
  let engine: LlamaEngine;
  let page: EngineImage;
  let otherPage: EngineImage;

  beforeAll(async () => {
    files = await tinyModel();
    page = await testImage(448);
    otherPage = await testImage(448, 1);
    engine = createLlamaEngine({ model: files.model, mmproj: files.mmproj, threads: 1, nCtx: 16384 });
    await engine.start();
  });
  afterAll(async () => {
    await engine?.close();
    await rm(files.dir, { recursive: true, force: true });
  });

  const ask = (question: string): ChatMessage[] => [{ role: 'user', content: question }];

  async function collect(stream: AsyncIterable<LlamaChatDelta>) {
    const texts: string[] = [];
    for await (const d of stream) {
      if (d.type === 'text') texts.push(d.text);
      else return { texts, done: d };
    }
    throw new Error('stream ended without a done delta');
  }

  it('streams an answer about an image, token by token, and honours maxTokens', async () => {
    const { texts, done } = await collect(
      engine.chat({ messages: ask('What is on this page?'), images: [page], maxTokens: 12, ignoreEos: true }),
    );
    expect(texts.length).toBeGreaterThan(1); // streamed, not one block at the end
    expect(done.finishReason).toBe('length');
    expect(done.stats.generatedTokens).toBe(12);
    expect(done.stats.imagesEncoded).toBe(1);
    expect(done.stats.imageTokens).toBe(196); // 448² → 28×28 patches → 14×14 merged tokens
    expect(done.usage?.completionTokens).toBe(12);
    expect(done.stats.encodeMs).toBeGreaterThan(0);
  });

  it('reuses the KV cache for a follow-up on the same image: no second encode', async () => {
    const first = await engine.complete({ messages: ask('Read the title.'), images: [page], maxTokens: 4 });
    const followUp = await engine.complete({
      messages: [
        { role: 'user', content: 'Read the title.' },
        { role: 'assistant', content: first.text },
        { role: 'user', content: 'And the date?' },
      ],
      images: [page],
      maxTokens: 4,
    });
    expect(followUp.stats.imagesEncoded).toBe(0);
    expect(followUp.stats.reusedTokens).toBeGreaterThanOrEqual(first.stats.promptTokens);
    expect(followUp.stats.evaluatedTokens).toBeLessThan(followUp.stats.promptItems);
    // A different image cannot come from the cache.
    const other = await engine.complete({
      messages: ask('Read the title.'),
      images: [otherPage],
      maxTokens: 4,
    });
    expect(other.stats.imagesEncoded).toBe(1);
  });

  it('stops at a stop string and never returns it', async () => {
    const free = await engine.complete({ messages: ask('Say something.'), maxTokens: 40, ignoreEos: true });
    const text = free.text;
    const stop = text.slice(10, 13);
    expect(stop.length).toBe(3);
    const stopped = await engine.complete({ messages: ask('Say something.'), maxTokens: 40, stop: [stop] });
    expect(stopped.stats.stopReason).toBe('stop');
    expect(stopped.text).toBe(text.slice(0, text.indexOf(stop))); // greedy: the same text up to the stop
  });

  it('constrains the answer to a JSON schema', async () => {
    const schema = {
      type: 'object',
      properties: { total: { type: 'number' }, vendor: { type: 'string' } },
      required: ['total', 'vendor'],
      additionalProperties: false,
    };
    const r = await engine.complete({
      messages: ask('Extract.'),
      images: [page],
      maxTokens: 300,
      jsonSchema: schema,
    });
    const value = JSON.parse(r.text) as Record<string, unknown>;
    expect(Object.keys(value).sort()).toEqual(['total', 'vendor']);
    expect(typeof value.total).toBe('number');
    expect(typeof value.vendor).toBe('string');
  });

  it('cancels through an AbortSignal mid-answer, and serves the next request', async () => {
    const controller = new AbortController();
    let pieces = 0;
    let done: Extract<LlamaChatDelta, { type: 'done' }> | undefined;
    for await (const d of engine.chat({
      messages: ask('Write a long essay.'),
      maxTokens: 12_000,
      ignoreEos: true,
      signal: controller.signal,
    })) {
      if (d.type === 'text' && ++pieces === 3) controller.abort();
      if (d.type === 'done') done = d;
    }
    expect(done?.finishReason).toBe('cancelled');
    expect(done!.stats.generatedTokens).toBeLessThan(12_000);
    const next = await engine.complete({ messages: ask('Hi'), maxTokens: 3, ignoreEos: true });
    expect(next.stats.generatedTokens).toBe(3);
  });

  it('stops generating when the reader stops reading', async () => {
    for await (const d of engine.chat({ messages: ask('Go on.'), maxTokens: 12_000, ignoreEos: true })) {
      if (d.type === 'text') break;
    }
    const next = await engine.complete({ messages: ask('Hi'), maxTokens: 2, ignoreEos: true });
    expect(next.stats.generatedTokens).toBe(2);
  });

  it('saves the KV state to a file and restores it in a new worker process', async () => {
    const path = join(files.dir, 'page.state');
    const messages = ask('Summarise.');
    await engine.complete({ messages, images: [page], maxTokens: 2 });
    const bytes = await engine.saveState(path);
    expect(bytes).toBeGreaterThan(0);

    const fresh = createLlamaEngine({ model: files.model, mmproj: files.mmproj, threads: 1 });
    try {
      await fresh.loadState(path);
      expect(fresh.pid).not.toBe(engine.pid);
      const r = await fresh.complete({ messages, images: [page], maxTokens: 2 });
      expect(r.stats.imagesEncoded).toBe(0);
      expect(r.stats.reusedTokens).toBeGreaterThan(0);
    } finally {
      await fresh.close();
    }
  });

  it('reports its status through the shared interface', async () => {
    expect(await engine.status()).toMatchObject({
      backend: 'llama',
      ready: true,
      model: 'qwen3vl-tiny-q8_0.gguf',
    });
  });
});

native('LlamaEngine failures', () => {
  it('rejects missing and corrupt model files before the native code sees them', async () => {
    const files = await tinyModel();
    try {
      const missing = createLlamaEngine({ model: join(files.dir, 'nope.gguf'), mmproj: files.mmproj });
      await expect(missing.start()).rejects.toMatchObject({ code: 'MODEL_MISSING' });
      const swapped = createLlamaEngine({ model: files.mmproj, mmproj: files.model });
      await expect(swapped.start()).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    } finally {
      await rm(files.dir, { recursive: true, force: true });
    }
  });

  it('survives a native abort in the worker: the request fails with ENGINE_FAILED, a new worker answers', async () => {
    // A projector with an F16 position table makes llama.cpp's qwen3vl graph hit GGML_ASSERT → abort().
    // Validation would refuse it; it is turned off here to provoke the real native crash.
    const files = await tinyModel();
    const bad = await synthesizeQwen3Vl({ size: 'tiny', outDir: files.dir, faultF16PositionEmbd: true });
    const engine = createLlamaEngine({ model: files.model, mmproj: bad.mmproj, threads: 1, validate: false });
    try {
      await engine.start();
      const firstPid = engine.pid;
      const page = await testImage(64);
      const err = await engine
        .complete({ messages: [{ role: 'user', content: 'hi' }], images: [page], maxTokens: 4 })
        .catch((e: unknown) => e);
      expect(isDocSightError(err, 'ENGINE_FAILED')).toBe(true);
      expect((err as Error).message).toContain('SIGABRT');
      const text = await engine.complete({
        messages: [{ role: 'user', content: 'hi' }],
        maxTokens: 3,
        ignoreEos: true,
      });
      expect(text.stats.generatedTokens).toBe(3);
      expect(engine.pid).not.toBe(firstPid);
      expect(engine.restartCount).toBe(1);
    } finally {
      await engine.close();
      await rm(files.dir, { recursive: true, force: true });
    }
  });
});
