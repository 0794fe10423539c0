import { rm } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { createConfiguredEngine } from '../../understand/create-engine.js';
import { testImage, tinyModel } from '../../understand/engine/test-support/test-models.js';
import { ImageStateCache } from '../../understand/image-cache/image-state-cache.js';
import type { ScheduledEngine } from '../../understand/scheduler/scheduled-engine.js';
import { runChatLoop } from './chat-command.js';
import { startFakeUpstreamServer } from './test-support/fake-upstream-server.js';

// The tiny synthetic Qwen3-VL (random weights): the answers are gibberish; the test checks the conversation
// plumbing — one answer per line, and follow-ups that reuse the encoded image instead of encoding it again.
describe('runChatLoop', () => {
  const tempDir = useTempDirs('docsight-chat-');
  let engine: ScheduledEngine;
  let modelDir: string;
  beforeAll(async () => {
    const model = await tinyModel();
    modelDir = model.dir;
    const config = loadConfig({
      env: {},
      flags: {
        home: tempDir(),
        // Two slots: the follow-ups must still find the slot whose KV cache holds the image.
        understand: { modelPath: model.model, mmprojPath: model.mmproj, threads: 1, slots: 2 },
      },
    });
    engine = createConfiguredEngine(config).engine;
  });
  afterAll(async () => {
    await engine.close();
    await rm(modelDir, { recursive: true, force: true });
  });

  it('answers each line, and follow-ups evaluate only the new turn', async () => {
    const cache = await ImageStateCache.open({ dir: tempDir(), maxBytes: 1e9, modelId: 'tiny' });
    const output = new PassThrough();
    const log = new PassThrough();
    let logged = '';
    log.on('data', (c) => (logged += String(c)));
    const turns = await runChatLoop({
      engine,
      cache,
      images: [await testImage(96)],
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
      output,
      log,
    });
    expect(turns).toBe(3);
    const notes = logged.trim().split('\n');
    expect(notes).toHaveLength(3);
    expect(notes[0]).toMatch(/^\[image state cached for follow-ups; 1 image\(s\) encoded/);
    expect(notes[1]).toMatch(/^\[follow-up; 0 image\(s\) encoded/);
    expect(notes[2]).toMatch(/^\[follow-up; 0 image\(s\) encoded/);
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
    const { engine } = createConfiguredEngine(config);
    const output = new PassThrough();
    let answers = '';
    output.on('data', (c) => (answers += String(c)));
    try {
      const turns = await runChatLoop({
        engine,
        images: [await testImage(96)],
        budget: 256,
        maxTokens: 16,
        input: Readable.from(['What is the total?\n', 'Are you sure?\n']),
        output,
        log: new PassThrough(),
      });
      expect(turns).toBe(2);
      expect(answers).toBe('Nine ninety.\nNine ninety.\n');
      const second = upstream.requests[1]!.body.messages as { role: string; content: unknown }[];
      expect(second.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
      expect(second[2]!.content).toBe('Nine ninety.');
    } finally {
      await engine.close();
      await upstream.close();
    }
  });
});
