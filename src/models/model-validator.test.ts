import { copyFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTempDirs } from '../test-support/temp-dir.js';
import { validateModelFiles } from './model-validator.js';
import { synthesizeQwen3Vl, type SynthesizedModel } from './synthetic/qwen3vl-synth.js';

const tempDir = useTempDirs('docsight-validator-');
let files: SynthesizedModel & { dir: string };
beforeAll(async () => {
  const dir = tempDir();
  files = { dir, ...(await synthesizeQwen3Vl({ size: 'tiny', outDir: dir })) };
});

describe('validateModelFiles', () => {
  it('accepts a matching qwen3vl text model and qwen3vl_merger projector', async () => {
    const v = await validateModelFiles({ model: files.model, mmproj: files.mmproj });
    expect(v.model).toMatchObject({ architecture: 'qwen3vl', layers: 2, deepstack: 1 });
    expect(v.mmproj).toMatchObject({ projector: 'qwen3vl_merger', deepstack: 1 });
  });

  it('says MODEL_MISSING for a path that does not exist', async () => {
    await expect(validateModelFiles({ model: join(files.dir, 'absent.gguf') })).rejects.toMatchObject({
      code: 'MODEL_MISSING',
      message: expect.stringContaining('does not exist'),
    });
  });

  it('says MODEL_INVALID for an empty file, a non-GGUF file and a truncated download', async () => {
    const empty = join(files.dir, 'empty.gguf');
    await writeFile(empty, '');
    await expect(validateModelFiles({ model: empty })).rejects.toMatchObject({ code: 'MODEL_INVALID' });

    const html = join(files.dir, 'error-page.gguf');
    await writeFile(html, '<html><body>404 Not Found</body></html>');
    await expect(validateModelFiles({ model: html })).rejects.toThrow('not a GGUF file');

    const cut = join(files.dir, 'cut.gguf');
    await copyFile(files.model, cut);
    await truncate(cut, 60_000); // the header survives, the last tensors do not
    await expect(validateModelFiles({ model: cut })).rejects.toThrow('truncated');
  });

  it('catches swapped paths', async () => {
    await expect(validateModelFiles({ model: files.mmproj })).rejects.toThrow('swap the two paths');
    await expect(validateModelFiles({ model: files.model, mmproj: files.model })).rejects.toThrow(
      'swap the two paths',
    );
  });

  it('refuses an F16 position table, which would abort the process inside llama.cpp', async () => {
    const bad = await synthesizeQwen3Vl({ size: 'tiny', outDir: files.dir, faultF16PositionEmbd: true });
    await expect(validateModelFiles({ model: files.model, mmproj: bad.mmproj })).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringContaining('v.position_embd.weight is F16'),
    });
  });
});
