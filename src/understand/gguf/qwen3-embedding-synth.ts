import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildByteLevelVocab } from './byte-level-vocab.js';
import { blockLayout, GgmlType } from './gguf-format.js';
import { writeGguf, type GgufFileSpec, type GgufTensorSpec, type GgufValue } from './gguf-writer.js';
import { constantF32, cyclePool, makeBlockPool, seededRandom } from './random-blocks.js';

/**
 * Random-weight GGUFs of the Qwen3-Embedding architecture: a plain `qwen3` decoder whose metadata
 * asks for LAST-token pooling and an end-of-text token appended to every input, as Qwen's published
 * embedding GGUFs do. `full` has exactly Qwen3-Embedding-0.6B's dimensions (so a benchmark pays the
 * real FLOPs and bytes); `tiny` is well under a megabyte, for tests. The vectors it gives are
 * deterministic but carry no meaning: random weights cannot show retrieval quality.
 */

export type EmbeddingSynthSize = 'tiny' | 'full';

export interface Qwen3EmbeddingDims {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  /** 0: just the byte-level vocabulary; otherwise padded to this many entries (Qwen3: 151 669). */
  vocab: number;
  contextLength: number;
}

export const QWEN3_EMBEDDING_DIMS: Record<EmbeddingSynthSize, Qwen3EmbeddingDims> = {
  // Qwen3-Embedding-0.6B (config.json of Qwen/Qwen3-Embedding-0.6B): tied embeddings, rope θ 1e6.
  full: {
    hidden: 1024,
    layers: 28,
    heads: 16,
    kvHeads: 8,
    headDim: 128,
    ffn: 3072,
    vocab: 151_669,
    contextLength: 32_768,
  },
  // Small enough to load in milliseconds; every width a multiple of 32 (a Q8_0 block).
  tiny: {
    hidden: 64,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    headDim: 16,
    ffn: 128,
    vocab: 0,
    contextLength: 32_768,
  },
};

/** llama.cpp's `LLAMA_POOLING_TYPE_LAST`. */
const POOLING_LAST = 3;

const u32 = (value: number): GgufValue => ({ type: 'u32', value });
const f32 = (value: number): GgufValue => ({ type: 'f32', value });
const str = (value: string): GgufValue => ({ type: 'string', value });

export interface EmbeddingPlanOptions {
  seed?: number;
  /**
   * Write `tokenizer.ggml.add_eos_token = true` (default), as GGUFs converted after llama.cpp learnt
   * Qwen3-Embedding's tokenizer template do. False reproduces older files that lack it.
   */
  addEosToken?: boolean;
  /**
   * The token named as EOS: `<|endoftext|>` (default, what Qwen3-Embedding pools at) or `<|im_end|>`,
   * which GGUFs converted before llama.cpp read Qwen3-Embedding's tokenizer template named instead.
   */
  eosToken?: 'endoftext' | 'im_end';
}

/** The file's metadata and tensor table, without writing anything (for size checks and tests). */
export function planQwen3Embedding(
  size: EmbeddingSynthSize,
  options: EmbeddingPlanOptions = {},
): GgufFileSpec {
  const d = QWEN3_EMBEDDING_DIMS[size];
  const vocab = buildByteLevelVocab(d.vocab);
  const random = seededRandom(options.seed ?? 1);
  const p = 'qwen3.';
  const metadata: Array<[string, GgufValue]> = [
    ['general.architecture', str('qwen3')],
    ['general.name', str('DocSight synthetic Qwen3-Embedding (random weights)')],
    ['general.file_type', u32(7)], // MOSTLY_Q8_0
    [p + 'context_length', u32(d.contextLength)],
    [p + 'embedding_length', u32(d.hidden)],
    [p + 'block_count', u32(d.layers)],
    [p + 'feed_forward_length', u32(d.ffn)],
    [p + 'attention.head_count', u32(d.heads)],
    [p + 'attention.head_count_kv', u32(d.kvHeads)],
    [p + 'attention.key_length', u32(d.headDim)],
    [p + 'attention.value_length', u32(d.headDim)],
    [p + 'rope.freq_base', f32(1_000_000)],
    [p + 'attention.layer_norm_rms_epsilon', f32(1e-6)],
    [p + 'pooling_type', u32(POOLING_LAST)],
    ['tokenizer.ggml.model', str('gpt2')],
    ['tokenizer.ggml.pre', str('qwen2')],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: vocab.tokens }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: vocab.types }],
    ['tokenizer.ggml.merges', { type: 'string[]', value: [] }],
    // Qwen3-Embedding pools the hidden state of <|endoftext|> appended after the text.
    [
      'tokenizer.ggml.eos_token_id',
      u32(options.eosToken === 'im_end' ? vocab.ids.imEnd : vocab.ids.endOfText),
    ],
    ['tokenizer.ggml.padding_token_id', u32(vocab.ids.endOfText)],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: options.addEosToken ?? true }],
  ];

  const pool = makeBlockPool(GgmlType.Q8_0, random);
  const { blockBytes, blockElems } = blockLayout(GgmlType.Q8_0);
  const weight = (name: string, shape: number[]): GgufTensorSpec => {
    const bytes = (shape.reduce((a, b) => a * b, 1) / blockElems) * blockBytes;
    const start = random();
    return { name, shape, type: GgmlType.Q8_0, data: () => cyclePool(pool, blockBytes, bytes, () => start) };
  };
  const ones = (name: string, n: number): GgufTensorSpec => ({
    name,
    shape: [n],
    type: GgmlType.F32,
    data: () => constantF32(n, 1),
  });

  const H = d.hidden;
  const q = d.heads * d.headDim;
  const kv = d.kvHeads * d.headDim;
  const tensors: GgufTensorSpec[] = [
    weight('token_embd.weight', [H, vocab.tokens.length]), // tied: no output.weight
    ones('output_norm.weight', H),
  ];
  for (let i = 0; i < d.layers; i++) {
    const b = `blk.${i}.`;
    tensors.push(
      ones(b + 'attn_norm.weight', H),
      weight(b + 'attn_q.weight', [H, q]),
      weight(b + 'attn_k.weight', [H, kv]),
      weight(b + 'attn_v.weight', [H, kv]),
      weight(b + 'attn_output.weight', [q, H]),
      ones(b + 'attn_q_norm.weight', d.headDim),
      ones(b + 'attn_k_norm.weight', d.headDim),
      ones(b + 'ffn_norm.weight', H),
      weight(b + 'ffn_gate.weight', [H, d.ffn]),
      weight(b + 'ffn_up.weight', [H, d.ffn]),
      weight(b + 'ffn_down.weight', [d.ffn, H]),
    );
  }
  return { metadata, tensors };
}

export interface SynthesizeEmbeddingOptions extends EmbeddingPlanOptions {
  size: EmbeddingSynthSize;
  outDir: string;
}

/**
 * Writes `qwen3-embedding-<size>-q8_0.gguf` into `outDir` and returns its path and size.
 *
 * @example
 *   const { model } = await synthesizeQwen3Embedding({ size: 'tiny', outDir: '/tmp/m' });
 */
export async function synthesizeQwen3Embedding(
  options: SynthesizeEmbeddingOptions,
): Promise<{ model: string; bytes: number; dimensions: number }> {
  await mkdir(options.outDir, { recursive: true });
  const suffix =
    (options.addEosToken === false ? '-noeos' : '') + (options.eosToken === 'im_end' ? '-imend' : '');
  const model = join(options.outDir, `qwen3-embedding-${options.size}${suffix}-q8_0.gguf`);
  const bytes = await writeGguf(model, planQwen3Embedding(options.size, options));
  return { model, bytes, dimensions: QWEN3_EMBEDDING_DIMS[options.size].hidden };
}
