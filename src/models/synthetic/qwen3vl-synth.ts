import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GgmlType } from '../gguf/gguf-format.js';
import { f32, str, u32, writeGguf, type GgufTensorSpec, type GgufValue } from './gguf-writer.js';
import { seededRandom, TensorFactory } from './random-blocks.js';
import { buildByteLevelVocab } from './byte-level-vocab.js';
import {
  byteLevelTokenizerKeys,
  qwen3TextHyperparameters,
  qwen3TextTensors,
  TINY_QWEN3_TEXT_DIMS,
  type Qwen3TextDims,
} from './qwen3-text-stack.js';

/**
 * Random-weight GGUFs of the real Qwen3-VL architecture (`qwen3vl` text model + `qwen3vl_merger`
 * mmproj). `full` has exactly Qwen3-VL-2B's dimensions, so it costs the same FLOPs and bytes as the
 * real model and is what benchmarks use; `tiny` is a few MB and answers in well under a second, for
 * tests. Output is gibberish by design. Shapes and keys: /work/shared/FACTS.md "Synthetic GGUFs".
 */

export type SynthSize = 'tiny' | 'full';
export type SynthQuant = 'q8_0' | 'q4_0';
/** Storage of the vision tower's matrices: the official repo ships both an F16 and a Q8_0 mmproj. */
export type MmprojQuant = 'f16' | 'q8_0';

export interface Qwen3VlDims {
  text: Qwen3TextDims & { ropeSections: [number, number, number, number] };
  vision: {
    hidden: number;
    layers: number;
    heads: number;
    ffn: number;
    imageSize: number;
    patchSize: number;
    deepstackLayers: number[];
  };
}

export const QWEN3VL_DIMS: Record<SynthSize, Qwen3VlDims> = {
  // Qwen3-VL-2B-Instruct.
  full: {
    text: {
      hidden: 2048,
      layers: 28,
      heads: 16,
      kvHeads: 8,
      headDim: 128,
      ffn: 6144,
      vocab: 151_936,
      ropeSections: [24, 20, 20, 0],
      contextLength: 262_144,
    },
    vision: {
      hidden: 1024,
      layers: 24,
      heads: 16,
      ffn: 4096,
      imageSize: 768,
      patchSize: 16,
      deepstackLayers: [5, 11, 17],
    },
  },
  // The smallest shape the qwen3vl code paths accept (sections sum to headDim/2; vision head dim % 4 == 0).
  tiny: {
    text: { ...TINY_QWEN3_TEXT_DIMS, ropeSections: [4, 2, 2, 0] },
    vision: { hidden: 32, layers: 2, heads: 2, ffn: 64, imageSize: 64, patchSize: 16, deepstackLayers: [0] },
  },
};

const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

type Rand = () => number;

function textModel(d: Qwen3VlDims, quant: GgmlType, random: Rand) {
  const t = d.text;
  const vocab = buildByteLevelVocab(t.vocab);
  const metadata: Array<[string, GgufValue]> = [
    ['general.architecture', str('qwen3vl')],
    ['general.name', str('DocSight synthetic Qwen3-VL (random weights)')],
    ['general.file_type', u32(quant === GgmlType.Q8_0 ? 7 : 2)],
    ...qwen3TextHyperparameters('qwen3vl', t, 5_000_000),
    ['qwen3vl.rope.dimension_sections', { type: 'i32[]', value: t.ropeSections }],
    ['qwen3vl.n_deepstack_layers', u32(d.vision.deepstackLayers.length)],
    ...byteLevelTokenizerKeys(vocab),
    ['tokenizer.ggml.eos_token_id', u32(vocab.ids.imEnd)],
    ['tokenizer.ggml.bos_token_id', u32(vocab.ids.endOfText)],
    ['tokenizer.ggml.padding_token_id', u32(vocab.ids.endOfText)],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }],
    ['tokenizer.chat_template', str(CHATML_TEMPLATE)],
  ];
  const tensors = qwen3TextTensors(t, vocab.tokens.length, quant, new TensorFactory(random));
  return { metadata, tensors };
}

/**
 * Which ggml type each mmproj tensor gets, following llama.cpp's converter (convert_hf_to_gguf.py, the tool
 * the official files were made with) so a synthetic Q8_0 mmproj costs what the official one costs:
 * - 1-D tensors (norms, biases) stay F32: ggml's CPU ops take them in F32.
 * - `v.position_embd.weight` stays F32 (the converter always keeps vision position tables in F32; the
 *   qwen3vl graph asserts on anything else, FACTS.md).
 * - The patch-embedding convolution kernels (`v.patch_embd.weight`, `.weight.1`) are F16 in an F16 file and
 *   F32 otherwise: ggml's conv path (im2col) has no quantised kernels, so the converter never quantises them.
 * - Every other 2-D matrix (attention, FFN, deepstack and merger projections) takes the file's type.
 */
function mmprojTensorType(name: string, dims: number, fileType: GgmlType): GgmlType {
  if (dims <= 1 || name === 'v.position_embd.weight') return GgmlType.F32;
  if (name.startsWith('v.patch_embd.weight')) return fileType === GgmlType.F16 ? GgmlType.F16 : GgmlType.F32;
  return fileType;
}

function mmprojModel(
  d: Qwen3VlDims,
  random: Rand,
  positionType: GgmlType,
  fileType: GgmlType = GgmlType.F16,
) {
  const v = d.vision;
  const H = v.hidden;
  const merged = H * 4; // spatial merge 2×2
  const proj = d.text.hidden;
  const grid = v.imageSize / v.patchSize;
  const c = 'clip.vision.';
  const metadata: Array<[string, GgufValue]> = [
    ['general.architecture', str('clip')],
    ['general.name', str('DocSight synthetic Qwen3-VL mmproj (random weights)')],
    ['general.file_type', u32(fileType === GgmlType.Q8_0 ? 7 : 1)], // llama_ftype: MOSTLY_Q8_0 or MOSTLY_F16
    ['clip.projector_type', str('qwen3vl_merger')],
    ['clip.has_vision_encoder', { type: 'bool', value: true }],
    ['clip.use_gelu', { type: 'bool', value: true }],
    [c + 'projection_dim', u32(proj)],
    [c + 'image_size', u32(v.imageSize)],
    [c + 'patch_size', u32(v.patchSize)],
    [c + 'embedding_length', u32(H)],
    [c + 'feed_forward_length', u32(v.ffn)],
    [c + 'block_count', u32(v.layers)],
    [c + 'attention.head_count', u32(v.heads)],
    [c + 'attention.layer_norm_epsilon', f32(1e-6)],
    [c + 'image_mean', { type: 'f32[]', value: [0.5, 0.5, 0.5] }],
    [c + 'image_std', { type: 'f32[]', value: [0.5, 0.5, 0.5] }],
    [c + 'spatial_merge_size', u32(2)],
    [
      c + 'is_deepstack_layers',
      { type: 'bool[]', value: Array.from({ length: v.layers }, (_, i) => v.deepstackLayers.includes(i)) },
    ],
  ];
  const f = new TensorFactory(random);
  const weight = (name: string, shape: number[]): GgufTensorSpec =>
    f.random_(name, shape, mmprojTensorType(name, shape.length, fileType));
  const withBias = (name: string, shape: number[]): GgufTensorSpec[] => [
    weight(name + '.weight', shape),
    f.constant(name + '.bias', [shape[1]!], 0),
  ];
  const norm = (name: string, n: number): GgufTensorSpec[] => [
    f.constant(name + '.weight', [n], 1),
    f.constant(name + '.bias', [n], 0),
  ];
  const tensors: GgufTensorSpec[] = [
    weight('v.patch_embd.weight', [v.patchSize, v.patchSize, 3, H]),
    weight('v.patch_embd.weight.1', [v.patchSize, v.patchSize, 3, H]),
    f.constant('v.patch_embd.bias', [H], 0),
    // F32 only: an F16 position table makes llama.cpp's qwen3vl graph abort (FACTS.md).
    f.random_('v.position_embd.weight', [H, grid * grid], positionType),
  ];
  for (let i = 0; i < v.layers; i++) {
    const b = `v.blk.${i}.`;
    tensors.push(
      ...norm(b + 'ln1', H),
      ...norm(b + 'ln2', H),
      ...withBias(b + 'attn_qkv', [H, 3 * H]),
      ...withBias(b + 'attn_out', [H, H]),
      ...withBias(b + 'ffn_up', [H, v.ffn]),
      ...withBias(b + 'ffn_down', [v.ffn, H]),
    );
  }
  for (const layer of v.deepstackLayers) {
    const b = `v.deepstack.${layer}.`;
    tensors.push(
      ...norm(b + 'norm', merged),
      ...withBias(b + 'fc1', [merged, merged]),
      ...withBias(b + 'fc2', [merged, proj]),
    );
  }
  tensors.push(
    ...norm('v.post_ln', H),
    ...withBias('mm.0', [merged, merged]),
    ...withBias('mm.2', [merged, proj]),
  );
  return { metadata, tensors };
}

/** The tensor table of each file, without writing anything (for size checks and tests). */
export function planQwen3Vl(size: SynthSize, quant: SynthQuant = 'q8_0', mmprojQuant: MmprojQuant = 'f16') {
  const dims = QWEN3VL_DIMS[size];
  const type = quant === 'q8_0' ? GgmlType.Q8_0 : GgmlType.Q4_0;
  return {
    text: textModel(dims, type, seededRandom(1)),
    mmproj: mmprojModel(dims, seededRandom(2), GgmlType.F32, mmprojFileType(mmprojQuant)),
  };
}

const mmprojFileType = (q: MmprojQuant): GgmlType => (q === 'q8_0' ? GgmlType.Q8_0 : GgmlType.F16);

export interface SynthesizeOptions {
  size: SynthSize;
  quant?: SynthQuant;
  /** The vision projector's matrices: 'f16' (default) or 'q8_0' (the official repo's smaller mmproj). */
  mmprojQuant?: MmprojQuant;
  outDir: string;
  seed?: number;
  /**
   * Fault injection for tests: write v.position_embd in F16, which llama.cpp's qwen3vl graph rejects
   * with an assertion (a native abort). Never set it for a model you mean to use.
   */
  faultF16PositionEmbd?: boolean;
}

export interface SynthesizedModel {
  model: string;
  mmproj: string;
  modelBytes: number;
  mmprojBytes: number;
}

/**
 * Writes `qwen3vl-<size>-<quant>.gguf` and `mmproj-qwen3vl-<size>-<mmprojQuant>.gguf` (default `-f16`) into
 * `outDir`.
 *
 * @example
 *   const { model, mmproj } = await synthesizeQwen3Vl({ size: 'tiny', outDir: '/tmp/m' });
 */
export async function synthesizeQwen3Vl(options: SynthesizeOptions): Promise<SynthesizedModel> {
  const quant = options.quant ?? 'q8_0';
  const type = quant === 'q8_0' ? GgmlType.Q8_0 : GgmlType.Q4_0;
  const dims = QWEN3VL_DIMS[options.size];
  await mkdir(options.outDir, { recursive: true });
  const model = join(options.outDir, `qwen3vl-${options.size}-${quant}.gguf`);
  const mmprojQuant = options.mmprojQuant ?? 'f16';
  const mmproj = join(
    options.outDir,
    `mmproj-qwen3vl-${options.size}${options.faultF16PositionEmbd ? '-badpos' : ''}-${mmprojQuant}.gguf`,
  );
  const seed = options.seed ?? 1;
  const modelBytes = await writeGguf(model, textModel(dims, type, seededRandom(seed)));
  const positionType = options.faultF16PositionEmbd ? GgmlType.F16 : GgmlType.F32;
  const mmprojBytes = await writeGguf(
    mmproj,
    mmprojModel(dims, seededRandom(seed + 1), positionType, mmprojFileType(mmprojQuant)),
  );
  return { model, mmproj, modelBytes, mmprojBytes };
}
