import { statSync } from 'node:fs';
import { DocSightError } from '../errors.js';
import { GgmlType, ggmlTypeName } from './gguf/gguf-format.js';
import { GgufFormatError, readGgufHeader, type GgufHeader } from './gguf/gguf-reader.js';

/**
 * Checks model files before llama.cpp sees them. llama.cpp answers a bad file with a segfault or an
 * abort (a missing file crashes, an F16 position table asserts — FACTS.md); here the same problems
 * become MODEL_MISSING / MODEL_INVALID errors that say what is wrong and what to do.
 */

/** Bytes per block and elements per block of the ggml types a Qwen3-VL GGUF may hold. */
const TYPE_SIZES: Record<number, [elems: number, bytes: number]> = {
  0: [1, 4], // F32
  1: [1, 2], // F16
  2: [32, 18], // Q4_0
  3: [32, 20], // Q4_1
  6: [32, 22], // Q5_0
  7: [32, 24], // Q5_1
  8: [32, 34], // Q8_0
  10: [256, 84], // Q2_K
  11: [256, 110], // Q3_K
  12: [256, 144], // Q4_K
  13: [256, 176], // Q5_K
  14: [256, 210], // Q6_K
  30: [1, 2], // BF16
};

const TEXT_ARCHITECTURES = ['qwen3vl'];
const PROJECTOR_TYPES = ['qwen3vl_merger'];

function invalid(path: string, what: string): DocSightError {
  return new DocSightError(
    'MODEL_INVALID',
    `${path}: ${what}. Download the model again (docsight models pull) or synthesize one (docsight models synthesize).`,
  );
}

/** Reads a GGUF header after checking the file exists, is not empty and holds every tensor it lists. */
export async function readHeader(path: string, role: string): Promise<{ header: GgufHeader; size: number }> {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw invalid(path, `the ${role} path is not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof DocSightError) throw err;
    throw new DocSightError(
      'MODEL_MISSING',
      `The ${role} file ${path} does not exist. Download it (docsight models pull) or set the path in the configuration.`,
    );
  }
  if (size === 0) throw invalid(path, 'the file is empty');
  try {
    const header = await readGgufHeader(path);
    checkTensorsFit(path, header, size);
    return { header, size };
  } catch (err) {
    if (err instanceof GgufFormatError) throw invalid(path, err.message);
    throw err;
  }
}

/** Every tensor's data must lie inside the file: catches truncated downloads before mmap does. */
function checkTensorsFit(path: string, header: GgufHeader, size: number): void {
  for (const t of header.tensors) {
    const layout = TYPE_SIZES[t.type];
    if (!layout) continue; // a type we do not size: llama.cpp checks it
    const elems = t.shape.reduce((a, b) => a * b, 1);
    const bytes = (elems / layout[0]) * layout[1];
    if (header.dataOffset + t.offset + bytes > size) {
      throw invalid(
        path,
        `tensor ${t.name} runs past the end of the file (${size} bytes): the file is truncated`,
      );
    }
  }
}

function str(header: GgufHeader, key: string): string | undefined {
  const v = header.metadata.get(key);
  return typeof v === 'string' ? v : undefined;
}

export interface ValidatedModel {
  model: { path: string; bytes: number; architecture: string; layers: number; deepstack: number };
  mmproj?: { path: string; bytes: number; projector: string; deepstack: number };
}

/**
 * Validates a text model (and optionally its vision projector) of the Qwen3-VL family.
 *
 * @example
 *   await validateModelFiles({ model: 'qwen3vl.gguf', mmproj: 'mmproj.gguf' });
 *   // throws DocSightError('MODEL_MISSING' | 'MODEL_INVALID', ...) on a bad file
 */
export async function validateModelFiles(files: { model: string; mmproj?: string }): Promise<ValidatedModel> {
  const { header: text, size: textBytes } = await readHeader(files.model, 'model');
  const arch = str(text, 'general.architecture');
  if (!arch || !TEXT_ARCHITECTURES.includes(arch)) {
    throw invalid(
      files.model,
      arch === 'clip'
        ? 'this is a vision projector (mmproj), not the text model: swap the two paths'
        : `architecture "${arch ?? 'none'}" is not supported (want ${TEXT_ARCHITECTURES.join(', ')})`,
    );
  }
  const sections = text.metadata.get(`${arch}.rope.dimension_sections`);
  if (!Array.isArray(sections) || sections.length !== 4) {
    throw invalid(files.model, `${arch}.rope.dimension_sections (4 integers) is missing`);
  }
  const layers = Number(text.metadata.get(`${arch}.block_count`) ?? 0);
  const deepstack = Number(text.metadata.get(`${arch}.n_deepstack_layers`) ?? 0);
  if (!text.tensors.some((t) => t.name === 'token_embd.weight'))
    throw invalid(files.model, 'token_embd.weight is missing');
  const result: ValidatedModel = {
    model: { path: files.model, bytes: textBytes, architecture: arch, layers, deepstack },
  };
  if (files.mmproj === undefined) return result;

  const { header: proj, size: projBytes } = await readHeader(files.mmproj, 'vision projector (mmproj)');
  const projArch = str(proj, 'general.architecture');
  if (projArch !== 'clip') {
    throw invalid(
      files.mmproj,
      projArch === arch
        ? 'this is the text model, not the vision projector: swap the two paths'
        : `architecture "${projArch ?? 'none'}" is not a vision projector (want "clip")`,
    );
  }
  const projector = str(proj, 'clip.projector_type') ?? 'none';
  if (!PROJECTOR_TYPES.includes(projector)) {
    throw invalid(
      files.mmproj,
      `projector type "${projector}" does not belong to ${arch} (want ${PROJECTOR_TYPES.join(', ')})`,
    );
  }
  const pos = proj.tensors.find((t) => t.name === 'v.position_embd.weight');
  if (!pos) throw invalid(files.mmproj, 'v.position_embd.weight is missing');
  if (pos.type !== GgmlType.F32) {
    // llama.cpp's qwen3vl vision graph asserts (aborts the process) on any other type.
    throw invalid(
      files.mmproj,
      `v.position_embd.weight is ${ggmlTypeName(pos.type)}; this engine needs it in F32`,
    );
  }
  for (const key of ['clip.vision.image_mean', 'clip.vision.image_std']) {
    if (!Array.isArray(proj.metadata.get(key))) throw invalid(files.mmproj, `${key} is missing`);
  }
  const mergers = new Set(
    proj.tensors.filter((t) => t.name.startsWith('v.deepstack.')).map((t) => t.name.split('.')[2]),
  );
  if (mergers.size !== deepstack) {
    throw invalid(
      files.mmproj,
      `it has ${mergers.size} deepstack mergers but the text model expects ${deepstack}: the two files are from different models`,
    );
  }
  const projectionDim = Number(proj.metadata.get('clip.vision.projection_dim') ?? 0);
  const hidden = Number(text.metadata.get(`${arch}.embedding_length`) ?? 0);
  if (projectionDim !== hidden) {
    throw invalid(
      files.mmproj,
      `projection width ${projectionDim} differs from the text model's ${hidden}: the files do not match`,
    );
  }
  result.mmproj = { path: files.mmproj, bytes: projBytes, projector, deepstack: mergers.size };
  return result;
}
