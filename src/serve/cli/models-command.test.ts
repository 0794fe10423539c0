import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readGgufHeader } from '../../models/gguf/gguf-reader.js';
import { validateModelFiles } from '../../models/model-validator.js';
import { runCliCaptured } from './test-support/run-cli-captured.js';

const dir = mkdtempSync(join(tmpdir(), 'docsight-models-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => runCliCaptured(['--home', join(dir, 'home'), ...args]);

describe('docsight models synthesize', () => {
  it('writes a tiny Q4_0 model and projector that pass validation, and prints their paths', async () => {
    const out = join(dir, 'tiny');
    const r = await cli('models', 'synthesize', '--size', 'tiny', '--quant', 'q4_0', '--out', out);
    expect(r.code).toBe(0);
    const [model, mmproj] = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t')[0]!);
    expect(model).toBe(join(out, 'qwen3vl-tiny-q4_0.gguf'));
    expect(mmproj).toBe(join(out, 'mmproj-qwen3vl-tiny-f16.gguf'));
    await expect(validateModelFiles({ model: model!, mmproj: mmproj! })).resolves.toMatchObject({
      model: { architecture: 'qwen3vl' },
    });
  });

  it('writes the projector in Q8_0, as the published one is, with --mmproj-quant q8_0', async () => {
    const out = join(dir, 'q8-projector');
    const r = await cli('models', 'synthesize', '--mmproj-quant', 'q8_0', '--out', out);
    expect(r.code).toBe(0);
    const mmproj = r.stdout.trim().split('\n')[1]!.split('\t')[0]!;
    expect(mmproj).toBe(join(out, 'mmproj-qwen3vl-tiny-q8_0.gguf'));
    const { tensors } = await readGgufHeader(mmproj);
    // GGML type 8 is Q8_0: the large matrices are quantised, norms and biases stay F32.
    expect(tensors.some((t) => t.type === 8)).toBe(true);
    expect(tensors.some((t) => t.type === 0)).toBe(true);
  });

  it('writes a Qwen3-Embedding model with last-token pooling with --embedding', async () => {
    const out = join(dir, 'embedding');
    const r = await cli('models', 'synthesize', '--embedding', '--out', out);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const { metadata } = await readGgufHeader(lines[0]!.split('\t')[0]!);
    expect(metadata.get('general.architecture')).toBe('qwen3');
    expect(metadata.get('qwen3.pooling_type')).toBe(3); // LLAMA_POOLING_TYPE_LAST
  });

  it('refuses an unknown size with a usage error', async () => {
    const r = await cli('models', 'synthesize', '--size', 'huge', '--out', dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("'huge' is invalid");
  });
});
