import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLlamaEngine, type LlamaEngine } from '../../understand/engine/llama-engine.js';
import { testImage, tinyModel } from '../../understand/engine/test-support/test-models.js';
import { ImageStateCache } from '../../understand/image-cache/image-state-cache.js';
import { runChatLoop } from './chat-command.js';

// The tiny synthetic Qwen3-VL (random weights): the answers are gibberish; the test checks the conversation
// plumbing — one answer per line, and follow-ups that reuse the encoded image instead of encoding it again.
describe('runChatLoop', () => {
  let engine: LlamaEngine;
  beforeAll(async () => {
    const model = await tinyModel();
    engine = createLlamaEngine({ model: model.model, mmproj: model.mmproj, threads: 1 });
  });
  afterAll(() => engine.close());

  it('answers each line, and follow-ups evaluate only the new turn', async () => {
    const cache = await ImageStateCache.open({
      dir: mkdtempSync(join(tmpdir(), 'docsight-chat-')),
      maxBytes: 1e9,
      modelId: 'tiny',
    });
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
      input: Readable.from(['What is the total?\n', '\n', 'And the date?\n', '/quit\n', 'never asked\n']),
      output,
      log,
    });
    expect(turns).toBe(2);
    const notes = logged.trim().split('\n');
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/^\[image state cached; 1 image\(s\) encoded/);
    expect(notes[1]).toMatch(/^\[follow-up; 0 image\(s\) encoded/);
  });
});
