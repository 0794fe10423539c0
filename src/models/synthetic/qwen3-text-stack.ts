import type { ByteLevelVocab } from './byte-level-vocab.js';
import type { GgmlType } from '../gguf/gguf-format.js';
import { f32, str, u32, type GgufTensorSpec, type GgufValue } from './gguf-writer.js';
import type { TensorFactory } from './random-blocks.js';

/**
 * Qwen3's text decoder as GGUF metadata and tensors: the part a synthetic Qwen3-VL (`qwen3vl`) and a
 * synthetic Qwen3-Embedding (`qwen3`) share. Both are the same stack (RMS norms, grouped-query
 * attention with q/k norms, SwiGLU FFN, tied embeddings); they differ only in the architecture name,
 * the rope base and the keys each adds after these.
 */

export interface Qwen3TextDims {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  /** 0: just the byte-level vocabulary; otherwise padded to this many entries. */
  vocab: number;
  contextLength: number;
}

/**
 * The smallest stack both synths use for tests: loads in milliseconds; every width a multiple of 32
 * (a Q8_0 block); only the byte-level vocabulary.
 */
export const TINY_QWEN3_TEXT_DIMS: Readonly<Qwen3TextDims> = {
  hidden: 64,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  headDim: 16,
  ffn: 128,
  vocab: 0,
  contextLength: 32_768,
};

/**
 * The hyperparameter keys of the stack, under the architecture's prefix.
 *
 * @example qwen3TextHyperparameters('qwen3', QWEN3_EMBEDDING_DIMS.tiny, 1_000_000); // [['qwen3.context_length', …], …]
 */
export function qwen3TextHyperparameters(
  arch: string,
  d: Qwen3TextDims,
  ropeFreqBase: number,
): Array<[string, GgufValue]> {
  const p = arch + '.';
  return [
    [p + 'context_length', u32(d.contextLength)],
    [p + 'embedding_length', u32(d.hidden)],
    [p + 'block_count', u32(d.layers)],
    [p + 'feed_forward_length', u32(d.ffn)],
    [p + 'attention.head_count', u32(d.heads)],
    [p + 'attention.head_count_kv', u32(d.kvHeads)],
    [p + 'attention.key_length', u32(d.headDim)],
    [p + 'attention.value_length', u32(d.headDim)],
    [p + 'rope.freq_base', f32(ropeFreqBase)],
    [p + 'attention.layer_norm_rms_epsilon', f32(1e-6)],
  ];
}

/** The tokenizer keys of a byte-level BPE vocabulary without merges (special token ids come after). */
export function byteLevelTokenizerKeys(vocab: ByteLevelVocab): Array<[string, GgufValue]> {
  return [
    ['tokenizer.ggml.model', str('gpt2')],
    ['tokenizer.ggml.pre', str('qwen2')],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: vocab.tokens }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: vocab.types }],
    ['tokenizer.ggml.merges', { type: 'string[]', value: [] }],
  ];
}

/**
 * The stack's tensors in llama.cpp's names and order: matrices random in `quant`, norms ones. The
 * order is part of the file: it decides the random stream, so keep it.
 */
export function qwen3TextTensors(
  d: Qwen3TextDims,
  vocabSize: number,
  quant: GgmlType,
  f: TensorFactory,
): GgufTensorSpec[] {
  const H = d.hidden;
  const q = d.heads * d.headDim;
  const kv = d.kvHeads * d.headDim;
  const tensors: GgufTensorSpec[] = [
    f.random_('token_embd.weight', [H, vocabSize], quant), // tied: no output.weight
    f.constant('output_norm.weight', [H], 1),
  ];
  for (let i = 0; i < d.layers; i++) {
    const b = `blk.${i}.`;
    tensors.push(
      f.constant(b + 'attn_norm.weight', [H], 1),
      f.random_(b + 'attn_q.weight', [H, q], quant),
      f.random_(b + 'attn_k.weight', [H, kv], quant),
      f.random_(b + 'attn_v.weight', [H, kv], quant),
      f.random_(b + 'attn_output.weight', [q, H], quant),
      f.constant(b + 'attn_q_norm.weight', [d.headDim], 1),
      f.constant(b + 'attn_k_norm.weight', [d.headDim], 1),
      f.constant(b + 'ffn_norm.weight', [H], 1),
      f.random_(b + 'ffn_gate.weight', [H, d.ffn], quant),
      f.random_(b + 'ffn_up.weight', [H, d.ffn], quant),
      f.random_(b + 'ffn_down.weight', [d.ffn, H], quant),
    );
  }
  return tensors;
}
