import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../config/config.js';
import { useTempDirs } from '../test-support/temp-dir.js';
import { testImage, tinyModel } from '../understand/engine/test-support/test-models.js';
import { completeChat, type CompletionMessage } from './complete-chat.js';
import { createDocSight, type DocSight } from './docsight.js';
import type { AnswerDone } from './engine-answer.js';

// What /v1/chat/completions hands over: the whole conversation each time, images as bytes.
const tempDir = useTempDirs('docsight-app-messages-');
let model: Awaited<ReturnType<typeof tinyModel>>;
let config: Config;
let app: DocSight;
beforeAll(async () => {
  model = await tinyModel();
  config = loadConfig({
    env: {},
    flags: { home: tempDir(), understand: { modelPath: model.model, mmprojPath: model.mmproj, threads: 1 } },
  });
  app = createDocSight(config, { ocrThread: 'main' });
});
afterAll(async () => {
  await app.close();
  await rm(model.dir, { recursive: true, force: true });
});

async function answer(messages: CompletionMessage[], on = app): Promise<{ text: string; done: AnswerDone }> {
  let text = '';
  let done: AnswerDone | undefined;
  for await (const event of completeChat(on, { messages, maxTokens: 3 })) {
    if (event.type === 'text') text += event.text;
    else done = event;
  }
  return { text, done: done! };
}

describe('completeChat', () => {
  it('counts as interactive work while it answers, so background ingestion holds back', async () => {
    const seen: number[] = [];
    for await (const event of completeChat(app, {
      messages: [{ role: 'user', content: 'Hi' }],
      maxTokens: 2,
    })) {
      seen.push(app.interactive.active);
      void event;
    }
    expect(seen.every((n) => n === 1)).toBe(true);
    expect(app.interactive.active).toBe(0);
  });

  it('answers a chat with an image part; resent to a restarted server, the image is not encoded again', async () => {
    const image = { type: 'image' as const, bytes: (await testImage(96, 20)).png, detail: 'auto' as const };
    const question: CompletionMessage = { role: 'user', content: [image, { type: 'text', text: 'Total?' }] };
    const first = await answer([question]);
    expect(first.done.stats).toMatchObject({ imageState: 'saved', imagesEncoded: 1 });
    // A new app is a new engine process with an empty KV cache: only the image-state cache on disk can help.
    const restarted = createDocSight(config, { ocrThread: 'main' });
    try {
      const second = await answer(
        [question, { role: 'assistant', content: first.text }, { role: 'user', content: 'And the date?' }],
        restarted,
      );
      expect(second.done.stats).toMatchObject({ imageState: 'loaded', imagesEncoded: 0 });
    } finally {
      await restarted.close();
    }
  });

  it('checks a JSON schema answer on the server', async () => {
    const image = { type: 'image' as const, bytes: (await testImage(96, 21)).png, detail: 'low' as const };
    const asked = completeChat(app, {
      messages: [{ role: 'user', content: [image, { type: 'text', text: 'Fields?' }] }],
      maxTokens: 3,
      responseFormat: { type: 'json_schema', schema: { type: 'object', required: ['total'] } },
    });
    const drain = async () => {
      for await (const event of asked) void event;
    };
    // Three tokens cannot hold the object: the stream ends in an error, never a done with bad JSON.
    await expect(drain()).rejects.toMatchObject({ code: 'INVALID_OUTPUT' });
  });
});
