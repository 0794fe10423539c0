import { rm, writeFile } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConversation, listConversations } from '../../app/chat.js';
import { createDocSight, type DocSight } from '../../app/docsight.js';
import { loadConfig } from '../../config/config.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { testImage, tinyModel } from '../../understand/engine/test-support/test-models.js';
import { runChatLoop } from './chat-command.js';
import { runCliCaptured } from './test-support/run-cli-captured.js';
import { startFakeUpstreamServer } from './test-support/fake-upstream-server.js';

/** Collects what a stream is written. */
function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c) => (text += String(c)));
  return { stream, text: () => text };
}

// The tiny synthetic Qwen3-VL (random weights): the answers are gibberish; the test checks the shell's
// plumbing — one answer per line, and follow-ups that reuse the encoded image instead of encoding it again.
describe('runChatLoop', () => {
  const tempDir = useTempDirs('docsight-chat-');
  let app: DocSight;
  let model: Awaited<ReturnType<typeof tinyModel>>;
  beforeAll(async () => {
    model = await tinyModel();
    const config = loadConfig({
      env: {},
      flags: {
        home: tempDir(),
        // Two slots: the follow-ups must still find the slot whose KV cache holds the image.
        understand: { modelPath: model.model, mmprojPath: model.mmproj, threads: 1, slots: 2 },
      },
    });
    app = createDocSight(config, { ocrThread: 'main' });
  });
  afterAll(async () => {
    await app.close();
    await rm(model.dir, { recursive: true, force: true });
  });

  it('answers each line, and follow-ups evaluate only the new turn', async () => {
    const image = await testImage(96);
    const { id } = await createConversation(app, { images: [{ bytes: image.png, name: 'page.png' }] });
    const log = sink();
    const turns = await runChatLoop({
      app,
      conversationId: id,
      budget: 256,
      maxTokens: 4,
      input: Readable.from([
        'What is the total?\n',
        '\n',
        'And the date?\n',
        'And the seller?\n',
        '/quit\n',
        'never asked\n',
      ]),
      output: new PassThrough(),
      log: log.stream,
    });
    expect(turns).toBe(3);
    const notes = log.text().trim().split('\n');
    expect(notes).toHaveLength(3);
    expect(notes[0]).toMatch(/^\[image state cached for follow-ups; 1 image\(s\) encoded/);
    expect(notes[1]).toMatch(/^\[follow-up; 0 image\(s\) encoded/);
    expect(notes[2]).toMatch(/^\[follow-up; 0 image\(s\) encoded/);
  });

  it('docsight chat deletes its conversation on exit unless --keep', async () => {
    const home = tempDir();
    const path = `${home}/page.png`;
    await writeFile(path, (await testImage(96, 1)).png);
    const args = ['--home', home, 'chat', '--model-path', model.model, '--mmproj-path', model.mmproj];
    const run = async (extra: string[]) => {
      const stdin = Readable.from(['What is it?\n']);
      const original = Object.getOwnPropertyDescriptor(process, 'stdin')!;
      Object.defineProperty(process, 'stdin', { value: stdin, configurable: true });
      try {
        return await runCliCaptured([
          ...args,
          '--threads',
          '1',
          '--image',
          path,
          '--max-tokens',
          '2',
          ...extra,
        ]);
      } finally {
        Object.defineProperty(process, 'stdin', original);
      }
    };
    const temporary = await run([]);
    expect(temporary.code).toBe(0);
    // The temporary conversation is gone: the list below holds only the kept one.
    expect(temporary.stderr).toMatch(/\[image state cached for follow-ups; 1 image\(s\) encoded/);
    const kept = await run(['--keep']);
    expect(kept.code).toBe(0);
    const id = /\[conversation ([0-9a-f-]+): docsight chat --conversation \1\]/.exec(kept.stderr)?.[1];
    const reader = createDocSight(loadConfig({ env: {}, flags: { home } }));
    try {
      expect((await listConversations(reader)).map((c) => c.id)).toEqual([id]);
    } finally {
      await reader.close();
    }
  });
});

describe('runChatLoop with an OpenAI-compatible upstream', () => {
  const tempDir = useTempDirs('docsight-chat-');

  it('streams each answer from the upstream and sends the conversation so far with each question', async () => {
    const upstream = await startFakeUpstreamServer('Nine ninety.');
    const config = loadConfig({
      env: {},
      flags: { home: tempDir(), understand: { backend: 'openai', upstreams: [upstream.url] } },
    });
    const app = createDocSight(config, { ocrThread: 'main' });
    const output = sink();
    try {
      const image = await testImage(96);
      const { id } = await createConversation(app, { images: [{ bytes: image.png, name: 'page.png' }] });
      const turns = await runChatLoop({
        app,
        conversationId: id,
        maxTokens: 16,
        input: Readable.from(['What is the total?\n', 'Are you sure?\n']),
        output: output.stream,
        log: new PassThrough(),
      });
      expect(turns).toBe(2);
      expect(output.text()).toBe('Nine ninety.\nNine ninety.\n');
      const second = upstream.requests[1]!.body.messages as { role: string; content: unknown }[];
      expect(second.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
      expect(second[2]!.content).toBe('Nine ninety.');
    } finally {
      await app.close();
      await upstream.close();
    }
  });
});
