import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../serve/cli/test-support/run-cli-captured.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { synthesizeQwen3Embedding } from '../../models/synthetic/qwen3-embedding-synth.js';

// `docsight eval retrieval` on a small DocVQA-text style split written here (text pages, no OCR),
// BM25 only and hybrid with the tiny synthetic embedding model (real addon). Random weights say
// nothing about quality: only the mode and the bookkeeping are checked.
const native = process.env.DOCSIGHT_SKIP_NATIVE === '1' ? describe.skip : describe;
const tempDir = useTempDirs('docsight-eval-retrieval-');

const PAGES: Record<string, { text: string; question: string; answer: string }> = {
  '0000': {
    text: 'Sargasso sea temperature\nExxonMobil research 1998',
    question: 'What was measured in the Sargasso sea?',
    answer: 'sargasso sea temperature',
  },
  '0001': {
    text: 'Journal of the air pollution control association\nVolume 12',
    question: 'Which journal covers air pollution control?',
    answer: 'air pollution control association',
  },
  '0002': {
    text: 'Invoice 4471 from Zheng Hui trading\nTotal due 112.45',
    question: 'How much is due to Zheng Hui trading?',
    answer: '112.45',
  },
};

let split: string;
beforeAll(() => {
  split = tempDir();
  mkdirSync(join(split, 'docs'));
  mkdirSync(join(split, 'gt'));
  const rows: string[] = [];
  for (const [id, p] of Object.entries(PAGES)) {
    writeFileSync(join(split, 'docs', `${id}.txt`), p.text);
    rows.push(JSON.stringify({ doc_id: id, question: p.question, answers: [p.answer] }));
  }
  writeFileSync(join(split, 'gt', 'qa.jsonl'), `${rows.join('\n')}\n`);
});

native('docsight eval retrieval', () => {
  it('reports BM25 mode without an embedding model, and says how to run hybrid', async () => {
    const r = await runCliCaptured(['--home', tempDir(), 'eval', 'retrieval', '--dataset', split]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/docvqa-text\s*\|\s*bm25\s*\|\s*3\s*\|/);
    expect(r.stdout).toContain('pass --embedding-model qwen3-embedding-0.6b');
  });

  it('runs hybrid with --embedding-model, embedding the corpus (also a library kept from a BM25 run)', async () => {
    const { model } = await synthesizeQwen3Embedding({ size: 'tiny', outDir: tempDir() });
    const home = tempDir();
    const bm25 = await runCliCaptured(['--home', home, 'eval', 'retrieval', '--dataset', split, '--json']);
    expect(JSON.parse(bm25.stdout)).toMatchObject({ mode: 'bm25', embedding_model: null, queries: 3 });
    const hybrid = await runCliCaptured([
      '--home',
      home,
      'eval',
      'retrieval',
      '--dataset',
      split,
      '--embedding-model',
      model,
      '--json',
    ]);
    expect(hybrid.code).toBe(0);
    const out = JSON.parse(hybrid.stdout);
    expect(out).toMatchObject({ mode: 'hybrid', queries: 3, ingested_pages: 0, embedded_chunks: 3 });
    expect(out.embedding_model).toMatch(/^qwen3-embedding-tiny-q8_0\.gguf:/);
  });
});
