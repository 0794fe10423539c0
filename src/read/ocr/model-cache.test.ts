import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FOLD_VERSION, preparedModel } from './model-cache.js';
import { defaultModelPaths } from './models.js';

describe('preparedModel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'docsight-model-cache-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('folds a model once into a file named by its checksum and the rewrite version, then reuses it', () => {
    const source = defaultModelPaths().classifier;
    const first = preparedModel(source, dir);
    expect('path' in first && first.path).toMatch(
      new RegExp(`ch_ppocr_mobile_v2\\.0_cls_infer\\.[0-9a-f]{16}\\.fold${FOLD_VERSION}\\.onnx$`),
    );
    const path = (first as { path: string }).path;
    const written = statSync(path).mtimeMs;
    expect(preparedModel(source, dir)).toEqual({ path });
    expect(statSync(path).mtimeMs).toBe(written);
    expect(readdirSync(dir)).toHaveLength(1); // no temporary files left
  });

  it('runs a file the rewrite cannot read as it is', () => {
    const junk = join(dir, 'not-a-model.onnx');
    writeFileSync(junk, 'plain text, not protobuf');
    expect(preparedModel(junk, join(dir, 'cache'))).toEqual({ path: junk });
  });
});
