import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { validateModelFiles } from '../../understand/engine/model-validator.js';
import { runCli } from './main.js';

const dir = mkdtempSync(join(tmpdir(), 'docsight-models-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    return { code: await runCli(['--home', join(dir, 'home'), ...args]), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

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

  it('refuses an unknown size with a usage error', async () => {
    const r = await cli('models', 'synthesize', '--size', 'huge', '--out', dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("'huge' is invalid");
  });
});
