/**
 * Find: the cost of dense retrieval on this CPU — embedding throughput of a model with exactly
 * Qwen3-Embedding-0.6B's dimensions (28 layers, hidden 1024, FFN 3072, vocabulary 151 669, Q8_0;
 * random weights, so the FLOPs and bytes are the real model's) through DocSight's embedder (child
 * process + addon), 1 thread by default.
 * - Chunks of 128 and 512 tokens (roughly 500 and 2 000 characters of English, 180 and 700 of Chinese
 *   with the real tokenizer): chunks per second and milliseconds per chunk, wall and CPU.
 * - Query latency: one 32-token text (the retrieval instruction plus a few words, as the real
 *   tokenizer counts them). The synthetic vocabulary has one token per byte, so texts are sized in
 *   bytes to give exactly these token counts.
 * - Model load time and the embedding process's peak RSS.
 * `--poolings own,llama` also runs llama.cpp's own LAST pooling, which in this llama.cpp build puts
 * the LM head on every token (the addon's default reads the last token's final norm instead).
 *
 *   nice npm run bench:embed -- [--threads 1] [--batch 256] [--chunks 4] [--queries 5] [--poolings own]
 *                               [--models DIR]
 */
import { existsSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTable } from '../src/eval/table.js';
import { LlamaEmbedder } from '../src/find/llama-embedder.js';
import {
  planQwen3Embedding,
  synthesizeQwen3Embedding,
} from '../src/models/synthetic/qwen3-embedding-synth.js';
import { nativeCpuMismatch } from '../src/native/native-addon.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const THREADS = Number(arg('threads', '1'));
const BATCH = Number(arg('batch', '256'));
const CHUNKS = Number(arg('chunks', '4'));
const QUERIES = Number(arg('queries', '5'));
const MODELS = arg('models', join(tmpdir(), 'docsight-bench-embed'));
const POOLINGS = arg('poolings', 'own').split(',') as ('own' | 'llama')[];

/** A text of exactly `tokens` tokens with the end-of-text token (byte-level vocabulary: 1 byte = 1 token). */
function textOfTokens(tokens: number, seed: number): string {
  const words = ['invoice', 'total', 'amount', 'contract', 'party', 'date', 'payment', 'receipt', 'tax'];
  let s = '';
  for (let i = seed; s.length < tokens - 1; i++) s += `${words[i % words.length]} ${(i * 37) % 1000} `;
  return s.slice(0, tokens - 1);
}

async function modelFile(): Promise<string> {
  const path = join(MODELS, 'qwen3-embedding-full-q8_0.gguf');
  const spec = planQwen3Embedding('full');
  // Reuse a file from an earlier run when it is complete (writing it takes a few seconds).
  if (existsSync(path) && statSync(path).size > 600_000_000) return path;
  process.stderr.write(`writing ${path} (${spec.tensors.length} tensors, ~0.64 GB)...\n`);
  return (await synthesizeQwen3Embedding({ size: 'full', outDir: MODELS })).model;
}

/** One embedder (one pooling mode): timing rows, load time and peak RSS. */
async function runPooling(model: string, pooling: 'own' | 'llama') {
  // n_ctx 2048 (the library's default: a 1 500-character Chinese chunk fits), up to 16 texts per
  // group, llama_decode calls of --batch tokens.
  const embedder = await LlamaEmbedder.open({
    model,
    threads: THREADS,
    nCtx: 2048,
    nBatch: BATCH,
    nSeqMax: 16,
    llamaPooling: pooling === 'llama',
  });
  try {
    const t0 = performance.now();
    const info = await embedder.start();
    const loadSeconds = (performance.now() - t0) / 1000;
    // One untimed call: the first decode allocates the compute graph.
    await embedder.embed([textOfTokens(16, 0)], 'document');
    const rows: string[][] = [];
    const label = pooling === 'own' ? 'LAST by DocSight' : 'LAST by llama.cpp';
    const measure = async (what: string, texts: string[], perCall: number): Promise<void> => {
      let wall = 0;
      let cpu = 0;
      let tokens = 0;
      for (let i = 0; i < texts.length; i += perCall) {
        const t = performance.now();
        const r = await embedder.embedDetailed(texts.slice(i, i + perCall), 'document');
        wall += performance.now() - t;
        cpu += r.cpuMs;
        tokens += r.totalTokens;
        if (r.truncated.length > 0) throw new Error(`${what}: ${r.truncated.length} text(s) truncated`);
      }
      const n = texts.length;
      rows.push([
        what,
        label,
        String(n),
        (n / (wall / 1000)).toFixed(2),
        (wall / n).toFixed(0),
        (cpu / n).toFixed(0),
        (tokens / (wall / 1000)).toFixed(1),
        (tokens / (cpu / 1000)).toFixed(1),
      ]);
    };
    for (const tokens of [128, 512]) {
      const texts = Array.from({ length: CHUNKS }, (_, i) => textOfTokens(tokens, i + 1));
      await measure(`chunks of ${tokens} tokens, ${CHUNKS} per call`, texts, CHUNKS);
    }
    const queries = Array.from({ length: QUERIES }, (_, i) => textOfTokens(32, i + 100));
    await measure('query of 32 tokens, one per call', queries, 1);
    const rssMb = (await embedder.peakRssKb()) / 1024;
    return { info, rows, memory: [label, loadSeconds.toFixed(2), rssMb.toFixed(0)] };
  } finally {
    await embedder.close();
  }
}

async function main(): Promise<void> {
  const mismatch = nativeCpuMismatch();
  if (mismatch) throw new Error(mismatch);
  const model = await modelFile();
  const started = new Date().toISOString();
  const load0 = loadavg();
  const runs = [];
  for (const pooling of POOLINGS) runs.push(await runPooling(model, pooling));
  const info = runs[0]!.info;
  process.stdout.write(
    `Embedding benchmark, ${started}, ${THREADS} thread(s), llama_decode batch ${BATCH}, ` +
      `load average ${load0.map((x) => x.toFixed(2)).join(' ')} → ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}\n` +
      `model: synthetic Qwen3-Embedding-0.6B dimensions (${(statSync(model).size / 1e6).toFixed(0)} MB Q8_0, ` +
      `${info.dimensions} dimensions, ${info.pooling} pooling, context ${info.nCtx})\n\n`,
  );
  process.stdout.write(
    `${formatTable(
      ['texts', 'pooling', 'n', 'texts/s', 'wall ms/text', 'CPU ms/text', 'tokens/s wall', 'tokens/s CPU'],
      runs.flatMap((r) => r.rows),
    )}\n\n`,
  );
  process.stdout.write(
    `${formatTable(
      ['pooling', 'model load, s', 'peak RSS of the embedding process, MB'],
      runs.map((r) => r.memory),
    )}\n`,
  );
}

await main();
