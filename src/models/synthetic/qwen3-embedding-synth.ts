import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildByteLevelVocab } from './byte-level-vocab.js';
import { GgmlType } from '../gguf/gguf-format.js';
import { str, u32, writeGguf, type GgufFileSpec, type GgufValue } from './gguf-writer.js';
import {
  byteLevelTokenizerKeys,
  qwen3TextHyperparameters,
  qwen3TextTensors,
  TINY_QWEN3_TEXT_DIMS,
  type Qwen3TextDims,
} from './qwen3-text-stack.js';
import { seededRandom, TensorFactory } from './random-blocks.js';

/**
 * Random-weight GGUFs of the Qwen3-Embedding architecture: a plain `qwen3` decoder whose metadata
 * asks for LAST-token pooling and an end-of-text token appended to every input, as Qwen's published
 * embedding GGUFs do. `full` has exactly Qwen3-Embedding-0.6B's dimensions (so a benchmark pays the
 * real FLOPs and bytes); `tiny` is well under a megabyte, for tests. The vectors it gives are
 * deterministic but carry no meaning: random weights cannot show retrieval quality.
 */

export type EmbeddingSynthSize = 'tiny' | 'full';

/** Qwen3's text stack alone; `vocab` 0 or padded (Qwen3-Embedding: 151 669). */
export type Qwen3EmbeddingDims = Qwen3TextDims;

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
  tiny: { ...TINY_QWEN3_TEXT_DIMS },
};

/** llama.cpp's `LLAMA_POOLING_TYPE_LAST`. */
const POOLING_LAST = 3;

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
  const metadata: Array<[string, GgufValue]> = [
    ['general.architecture', str('qwen3')],
    ['general.name', str('DocSight synthetic Qwen3-Embedding (random weights)')],
    ['general.file_type', u32(7)], // MOSTLY_Q8_0
    ...qwen3TextHyperparameters('qwen3', d, 1_000_000),
    ['qwen3.pooling_type', u32(POOLING_LAST)],
    ...byteLevelTokenizerKeys(vocab),
    // Qwen3-Embedding pools the hidden state of <|endoftext|> appended after the text.
    [
      'tokenizer.ggml.eos_token_id',
      u32(options.eosToken === 'im_end' ? vocab.ids.imEnd : vocab.ids.endOfText),
    ],
    ['tokenizer.ggml.padding_token_id', u32(vocab.ids.endOfText)],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: options.addEosToken ?? true }],
  ];

  const tensors = qwen3TextTensors(d, vocab.tokens.length, GgmlType.Q8_0, new TensorFactory(random));
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
