import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { useTempDirs } from '../test-support/temp-dir.js';
import { testImage, tinyModel } from '../understand/engine/test-support/test-models.js';
import { answerMessages, type InputMessage } from './answer-messages.js';
import { createDocSight, type DocSight } from './docsight.js';
import type { AnswerDone } from './engine-answer.js';

// What an OpenAI-compatible endpoint hands over: the whole conversation each time, images as bytes.
const tempDir = useTempDirs('docsight-app-messages-');
let model: Awaited<ReturnType<typeof tinyModel>>;
let app: DocSight;
beforeAll(async () => {
  model = await tinyModel();
  const config = loadConfig({
    env: {},
    flags: { home: tempDir(), understand: { modelPath: model.model, mmprojPath: model.mmproj, threads: 1 } },
  });
  app = createDocSight(config, { ocrThread: 'main' });
});
afterAll(async () => {
  await app.close();
  await rm(model.dir, { recursive: true, force: true });
});

async function answer(messages: InputMessage[]): Promise<{ text: string; done: AnswerDone }> {
  let text = '';
  let done: AnswerDone | undefined;
  for await (const event of answerMessages(app, { messages, maxTokens: 3 })) {
    if (event.type === 'text') text += event.text;
    else done = event;
  }
  return { text, done: done! };
}

describe('answerMessages', () => {
  it('answers a chat with an image part, and the resent conversation does not encode the image again', async () => {
    const image = { type: 'image' as const, image: { bytes: (await testImage(96, 20)).png, name: 'a.png' } };
    const question: InputMessage = { role: 'user', content: [image, { type: 'text', text: 'Total?' }] };
    const first = await answer([question]);
    expect(first.done.stats).toMatchObject({ imageState: 'saved', imagesEncoded: 1 });
    const second = await answer([
      question,
      { role: 'assistant', content: first.text },
      { role: 'user', content: 'And the date?' },
    ]);
    expect(second.done.stats.imagesEncoded).toBe(0);
  });

  it('refuses messages without a user turn', async () => {
    await expect(answer([{ role: 'system', content: 'Be brief.' }])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });
});
