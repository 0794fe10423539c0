import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testImage, tinyModel } from '../../understand/engine/test-support/test-models.js';
import { runCliCaptured } from './test-support/run-cli-captured.js';

// The tiny synthetic Qwen3-VL (real architecture, random weights): answers are gibberish, so these tests check
// the plumbing — an answer streams, and the second question about the same image comes from the cache.
describe('docsight ask', () => {
  let model: { model: string; mmproj: string };
  let image: string;
  beforeAll(async () => {
    model = await tinyModel();
    image = join(mkdtempSync(join(tmpdir(), 'docsight-ask-')), 'page.png');
    writeFileSync(image, (await testImage(96)).png);
  });

  /** `docsight --home <new home> ask` with the tiny model and the test page. */
  const askArgs = () => {
    const home = mkdtempSync(join(tmpdir(), 'docsight-ask-home-'));
    return [
      '--home',
      home,
      'ask',
      '--model-path',
      model.model,
      '--mmproj-path',
      model.mmproj,
      '--image',
      image,
    ];
  };

  it('answers about an image, and a follow-up in a new process skips the image encoder', async () => {
    const base = askArgs();
    const first = await runCliCaptured([
      ...base,
      '--max-tokens',
      '6',
      '--threads',
      '1',
      'What is the total?',
    ]);
    expect(first.stderr).toMatch(/\[image state cached for follow-ups; 1 image\(s\) encoded/);
    expect(first.code).toBe(0);
    expect(first.stdout.length).toBeGreaterThan(1);
    // A new engine (worker process) each run: the state comes back from disk.
    const second = await runCliCaptured([...base, '--max-tokens', '6', '--threads', '1', 'And the date?']);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/\[image state from cache; 0 image\(s\) encoded/);
  });

  it('says how to get the model when none is installed', async () => {
    const home = mkdtempSync(join(tmpdir(), 'docsight-ask-home-'));
    const result = await runCliCaptured(['--home', home, 'ask', '--image', image, 'What?']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/MODEL_MISSING.*docsight models pull/);
  });

  it('refuses a fields request without a usable schema', async () => {
    const base = askArgs();
    const result = await runCliCaptured([...base, '--task', 'fields', '--schema', 'passport']);
    expect(result.stderr).toMatch(/--schema passport: not a preset/);
  });
});
