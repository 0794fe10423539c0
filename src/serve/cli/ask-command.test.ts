import { existsSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPage } from '../../read/ocr/test-support/test-pages.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { testImage, tinyModel } from '../../understand/engine/test-support/test-models.js';
import { startFakeUpstreamServer, type FakeUpstreamServer } from './test-support/fake-upstream-server.js';
import { runCliCaptured } from './test-support/run-cli-captured.js';

const tempDir = useTempDirs('docsight-ask-');
let image: string;
beforeAll(async () => {
  image = join(tempDir(), 'page.png');
  writeFileSync(image, (await testImage(96)).png);
});

// The tiny synthetic Qwen3-VL (real architecture, random weights): answers are gibberish, so these tests check
// the plumbing — an answer streams, and the second question about the same image comes from the cache.
describe('docsight ask (local model)', () => {
  let model: Awaited<ReturnType<typeof tinyModel>>;
  beforeAll(async () => {
    model = await tinyModel();
  });
  afterAll(() => rm(model.dir, { recursive: true, force: true }));

  /** `docsight --home <new home> ask` with the tiny model and the test page. */
  const askArgs = () => [
    '--home',
    tempDir(),
    'ask',
    '--model-path',
    model.model,
    '--mmproj-path',
    model.mmproj,
    '--threads',
    '1',
    '--image',
    image,
  ];

  it('answers about an image, and a follow-up in a new process skips the image encoder', async () => {
    const base = askArgs();
    const first = await runCliCaptured([...base, '--max-tokens', '6', 'What is the total?']);
    expect(first.stderr).toMatch(/\[image state cached for follow-ups; 1 image\(s\) encoded/);
    expect(first.code).toBe(0);
    expect(first.stdout.length).toBeGreaterThan(1);
    // A new engine (worker process) each run: the state comes back from disk.
    const second = await runCliCaptured([...base, '--max-tokens', '6', 'And the date?']);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/\[image state from cache; 0 image\(s\) encoded/);
  });

  it('adds a zoomed crop for a question about small print, unless --no-zoom', async () => {
    // An A4 page at 150 dpi with 10-pt print: ~7 px high once the page is fitted to 256 tokens.
    const raw = await renderPage({
      width: 1240,
      height: 1754,
      lines: [
        { text: 'Corner Shop receipt', x: 100, y: 150, size: 21 },
        { text: 'Total 3.55', x: 100, y: 400, size: 21 },
      ],
    });
    const receipt = join(tempDir(), 'receipt.png');
    await sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: 3 } })
      .png()
      .toFile(receipt);
    const args = askArgs().slice(0, -1).concat(receipt, '--max-tokens', '2');
    const zoomed = await runCliCaptured([...args, 'What is the total?']);
    expect(zoomed.code).toBe(0);
    expect(zoomed.stderr).toMatch(/\[zoomed on "Total 3\.55": its text renders at [\d.]+ px in the page/);
    expect(zoomed.stderr).toMatch(/2 image\(s\) encoded/);
    const plain = await runCliCaptured([...args, '--no-zoom', 'What is the total?']);
    expect(plain.code).toBe(0);
    expect(plain.stderr).not.toMatch(/zoom/);
    expect(plain.stderr).toMatch(/1 image\(s\) encoded/);
  });

  it('prints fields as JSON that matches the preset, and fails clearly when --max-tokens cuts it off', async () => {
    const fields = await runCliCaptured([
      ...askArgs(),
      '--task',
      'fields',
      '--schema',
      'receipt',
      '--max-tokens',
      '4000',
    ]);
    expect(fields.code).toBe(0);
    expect(JSON.parse(fields.stdout)).toHaveProperty('total');
    const cut = await runCliCaptured([
      ...askArgs(),
      '--task',
      'fields',
      '--schema',
      'receipt',
      '--max-tokens',
      '5',
    ]);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/INVALID_OUTPUT.*cut off at the token limit.*raise --max-tokens/);
  });

  it('says how to get the model when none is installed', async () => {
    const result = await runCliCaptured(['--home', tempDir(), 'ask', '--image', image, 'What?']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/MODEL_MISSING.*docsight models pull/);
  });

  it('refuses a fields request without a usable schema', async () => {
    const result = await runCliCaptured([...askArgs(), '--task', 'fields', '--schema', 'passport']);
    expect(result.stderr).toMatch(/--schema passport: not a preset/);
  });
});

describe('docsight ask --upstream (OpenAI-compatible backend)', () => {
  let upstream: FakeUpstreamServer;
  beforeAll(async () => {
    upstream = await startFakeUpstreamServer();
  });
  afterAll(() => upstream.close());

  it('streams the upstream answer, sends the image as a data URL, keeps no local image state', async () => {
    const home = tempDir();
    upstream.answer = 'The total is 9.90';
    const result = await runCliCaptured(
      ['--home', home, 'ask', '--upstream', upstream.url, '--image', image, 'What is the total?'],
      { DOCSIGHT_UPSTREAM_API_KEY: 'sk-from-env' },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('The total is 9.90\n');
    expect(result.stderr).toMatch(
      /\[answered upstream; 300 prompt \+ 4 answer tokens; first text after \d+\.\d s\]/,
    );
    const sent = upstream.requests.at(-1)!;
    expect(sent.authorization).toBe('Bearer sk-from-env');
    expect(JSON.stringify(sent.body.messages)).toMatch(/"image_url":\{"url":"data:image\/png;base64,/);
    expect(existsSync(join(home, 'cache', 'image-state'))).toBe(false);
  });

  it('checks fields from an upstream against the schema', async () => {
    upstream.answer = '{"company": "ACME"}';
    const result = await runCliCaptured([
      '--home',
      tempDir(),
      'ask',
      '--upstream',
      upstream.url,
      '--image',
      image,
      '--task',
      'fields',
      '--schema',
      'receipt',
    ]);
    expect(result.code).toBe(1);
    expect(upstream.requests.at(-1)!.body.response_format).toMatchObject({ type: 'json_schema' });
    expect(result.stderr).toMatch(/INVALID_OUTPUT.*the required field "date" is missing/);
  });

  it('explains a backend without an upstream', async () => {
    const result = await runCliCaptured([
      '--home',
      tempDir(),
      'ask',
      '--backend',
      'openai',
      '--image',
      image,
      'Hi',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/BAD_CONFIG.*needs at least one upstream URL \(--upstream URL/);
  });
});
