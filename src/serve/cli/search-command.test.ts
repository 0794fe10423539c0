import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { synthesizeQwen3Embedding } from '../../models/synthetic/qwen3-embedding-synth.js';
import { runCliCaptured } from './test-support/run-cli-captured.js';

// `docsight search` and `docs reindex` with and without an embedding model. The model is the tiny
// synthetic Qwen3-Embedding GGUF on the real addon: its vectors mean nothing, so only modes,
// messages and counts are checked here.
const native = process.env.DOCSIGHT_SKIP_NATIVE === '1' ? describe.skip : describe;
const tempDir = useTempDirs('docsight-cli-search-');

let home: string;
let inbox: string;
beforeAll(() => {
  home = tempDir();
  inbox = join(home, 'inbox');
  mkdirSync(inbox);
  writeFileSync(join(inbox, 'invoice.txt'), '上海增值税专用发票\nTOTAL 112.45\fsecond page 2018-02-12');
  writeFileSync(join(inbox, 'receipt.txt'), 'PERNIAGAAN ZHENG HUI\nDATE 12/02/2018');
});

const cli = (args: string[], env: Record<string, string> = {}) =>
  runCliCaptured(['--home', home, ...args], env);

native('docsight search and docs reindex with an embedding model', () => {
  let model: string;
  beforeAll(async () => {
    model = (await synthesizeQwen3Embedding({ size: 'tiny', outDir: join(home, 'gguf') })).model;
    expect((await cli(['ingest', inbox, '--wait'])).code).toBe(0); // no model yet: no vectors
  });

  it('says search is BM25 only without a model, and how to enable hybrid search', async () => {
    const text = await cli(['search', 'zheng hui']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('receipt.txt');
    expect(text.stderr).toMatch(/BM25 only/);
    expect(text.stderr).toContain('docsight models pull qwen3-embedding-0.6b');
    expect(text.stderr).toContain('"embeddingModel": "qwen3-embedding-0.6b"');
    const json = JSON.parse((await cli(['search', 'zheng hui', '--json'])).stdout);
    expect(json.mode).toBe('bm25');
  });

  it('asks for a reindex when the model is configured but the library has no vectors', async () => {
    const r = await cli(['search', 'zheng hui', '--json'], { DOCSIGHT_EMBEDDING_MODEL: model });
    expect(JSON.parse(r.stdout)).toMatchObject({
      mode: 'bm25',
      note: expect.stringMatching(/no vectors yet.*docsight docs reindex/),
    });
  });

  it('fills the vectors with docs reindex, after which search is hybrid', async () => {
    const re = await cli(['docs', 'reindex'], { DOCSIGHT_EMBEDDING_MODEL: model });
    expect(re.code).toBe(0);
    expect(re.stdout).toContain('The index terms are current.');
    expect(re.stdout).toMatch(/Embedded 3 chunk\(s\) in [\d.]+ s with qwen3-embedding-tiny-q8_0\.gguf:/);
    const again = await cli(['docs', 'reindex'], { DOCSIGHT_EMBEDDING_MODEL: model });
    expect(again.stdout).toContain('Every chunk has a vector');

    const text = await cli(['search', 'zheng hui', '--k', '2'], { DOCSIGHT_EMBEDDING_MODEL: model });
    expect(text.stderr).toContain('Hybrid search: BM25 + dense.');
    expect(text.stdout).toContain('receipt.txt');
    const json = JSON.parse(
      (await cli(['search', 'zheng hui', '--json'], { DOCSIGHT_EMBEDDING_MODEL: model })).stdout,
    );
    expect(json.mode).toBe('hybrid');
    expect(json.results).toHaveLength(3); // dense retrieval ranks every chunk's page
  });

  it('refuses to mix models, and re-embeds with --full', async () => {
    const other = (await synthesizeQwen3Embedding({ size: 'tiny', outDir: join(home, 'gguf2'), seed: 9 }))
      .model;
    const refused = await cli(['docs', 'reindex'], { DOCSIGHT_EMBEDDING_MODEL: other });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/BAD_CONFIG.*docsight docs reindex --full/);
    const full = await cli(['docs', 'reindex', '--full'], { DOCSIGHT_EMBEDDING_MODEL: other });
    expect(full.code).toBe(0);
    expect(full.stdout).toContain('Re-indexed 3 page(s) with vectors.');
    const json = JSON.parse(
      (await cli(['search', 'zheng hui', '--json'], { DOCSIGHT_EMBEDDING_MODEL: other })).stdout,
    );
    expect(json.mode).toBe('hybrid');
  });

  it('embeds chunks while ingesting when a model is configured', async () => {
    const other = join(home, 'gguf2', 'qwen3-embedding-tiny-q8_0.gguf'); // the model of the test above
    writeFileSync(join(home, 'letter.txt'), 'Dear customer, the shipments were delayed.');
    const r = await cli(['ingest', join(home, 'letter.txt'), '--wait'], { DOCSIGHT_EMBEDDING_MODEL: other });
    expect(r.code).toBe(0);
    const re = await cli(['docs', 'reindex'], { DOCSIGHT_EMBEDDING_MODEL: other });
    expect(re.stdout).toContain('Every chunk has a vector');
  });

  it('says how to get a catalog model that is not installed', async () => {
    const r = await cli(['search', 'zheng hui'], { DOCSIGHT_EMBEDDING_MODEL: 'qwen3-embedding-0.6b' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/MODEL_MISSING.*docsight models pull qwen3-embedding-0\.6b/);
  });
});
