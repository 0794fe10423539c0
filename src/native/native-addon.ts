import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DocSightError } from '../errors.js';

/**
 * The compiled addon (native/src/addon.cpp), built by scripts/build-native.mjs at `npm install`.
 * Only the engine worker process loads it: a native abort then kills that process, not the server.
 */

export interface NativeLoadOptions {
  model: string;
  mmproj?: string;
  nCtx?: number;
  nBatch?: number;
  threads?: number;
  imageMinTokens?: number;
  imageMaxTokens?: number;
  useMmap?: boolean;
}

export interface NativeImage {
  rgb: Buffer;
  width: number;
  height: number;
  /** Identity for KV-cache reuse: the same id means the same pixels. */
  id: string;
}

export interface NativeGenerateOptions {
  /** ChatML text; each image is the media marker at its place. */
  prompt: string;
  images?: NativeImage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  stop?: string[];
  /** GBNF grammar the output must match. */
  grammar?: string;
  ignoreEos?: boolean;
}

/** Per-call counters and timings, measured inside the addon. */
export interface NativeGenerateResult {
  text: string;
  stopReason: 'eos' | 'length' | 'stop' | 'abort';
  promptItems: number;
  /** KV positions the prompt occupies (an image takes fewer positions than tokens with M-RoPE). */
  promptTokens: number;
  /** Of those, how many were already in the KV cache and skipped. */
  reusedTokens: number;
  /** Text tokens decoded for the prompt. */
  evaluatedTokens: number;
  imagesEncoded: number;
  imageTokens: number;
  generatedTokens: number;
  encodeMs: number;
  prefillMs: number;
  decodeMs: number;
}

export interface NativeSession {
  load(options: NativeLoadOptions): Promise<{ loadMs: number; nCtx: number }>;
  generate(options: NativeGenerateOptions, onPiece?: (piece: Buffer) => void): Promise<NativeGenerateResult>;
  abort(): void;
  clearCache(): void;
  saveState(path: string): Promise<number>;
  loadState(path: string): Promise<number>;
  release(): void;
  info(): { nCtx?: number; cachedTokens?: number; loadMs?: number };
}

/** Options of the addon's text-embedding session (native/src/embed-session.h). */
export interface NativeEmbedLoadOptions {
  model: string;
  /** KV positions shared by the texts evaluated together; also the longest text (longer ones are cut). */
  nCtx?: number;
  /** Tokens per llama_decode call; bounds the logits buffer (vocabulary × nBatch floats). */
  nBatch?: number;
  /** Texts evaluated together as separate sequences. */
  nSeqMax?: number;
  threads?: number;
  useMmap?: boolean;
  /**
   * LAST pooling by llama.cpp itself (embedding mode), instead of the addon reading the final norm
   * at each text's last token. Same vectors, but llama.cpp also runs the LM head on every token.
   */
  llamaPooling?: boolean;
}

export interface NativeEmbedResult {
  /** One L2-normalised vector per text, in input order. */
  vectors: Float32Array[];
  /** Tokens evaluated per text (end-of-text token included, after truncation). */
  tokenCounts: number[];
  /** Tokens per text before truncation to the context. */
  originalTokenCounts: number[];
  totalTokens: number;
  embedMs: number;
}

export interface NativeEmbedSession {
  load(options: NativeEmbedLoadOptions): Promise<{
    loadMs: number;
    nCtx: number;
    dimensions: number;
    pooling: 'last' | 'mean' | 'cls';
    modelAddsEos: boolean;
    /** Whether LAST pooling is read by the addon (see llamaPooling). */
    ownLastPooling: boolean;
    /** The token appended to every text for LAST pooling, e.g. `<|endoftext|>` ('' otherwise). */
    endToken: string;
  }>;
  embed(texts: string[]): Promise<NativeEmbedResult>;
  abort(): void;
  release(): void;
}

export interface NativeAddon {
  Session: new () => NativeSession;
  EmbedSession: new () => NativeEmbedSession;
  systemInfo(): string;
  mediaMarker(): string;
  schemaToGrammar(jsonSchema: string): string;
}

/** native/build, found from src/native (tsx, tests) and dist/native alike. */
export function nativeBuildDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build');
}

export function nativeAddonPath(): string {
  return join(nativeBuildDir(), 'docsight_vlm.node');
}

/** Path of the C++ driver executable (the benchmark's "native layer"). */
export function nativeDriverPath(): string {
  return join(nativeBuildDir(), 'docsight-vlm-driver');
}

/**
 * Why the native build cannot run on this CPU, or undefined when it can. A `-march=native` build
 * (the default) uses every SIMD extension of the machine it was built on; on a CPU without one of
 * them it would die of SIGILL mid-request. native/build/cpu-flags.txt lists the build machine's flags.
 */
export function nativeCpuMismatch(cpuinfo?: string): string | undefined {
  let built: string;
  try {
    built = readFileSync(join(nativeBuildDir(), 'cpu-flags.txt'), 'utf8').trim();
  } catch {
    return undefined; // a portable build (DOCSIGHT_MARCH set) or an older build: nothing to compare
  }
  if (!built) return undefined;
  let here: Set<string>;
  try {
    const text = cpuinfo ?? readFileSync('/proc/cpuinfo', 'utf8');
    here = new Set(
      (
        text
          .split('\n')
          .find((l) => l.startsWith('flags'))
          ?.split(':')[1] ?? ''
      )
        .trim()
        .split(/\s+/),
    );
  } catch {
    return undefined;
  }
  const missing = built.split(/\s+/).filter((f) => !here.has(f));
  if (missing.length === 0) return undefined;
  return (
    `The native engine was compiled for a CPU with ${missing.join(', ')}, which this CPU lacks. ` +
    'Rebuild it here: `npm run build:native` (or build a portable one with DOCSIGHT_MARCH=x86-64-v2).'
  );
}

let cached: NativeAddon | undefined;

/** Loads the addon once; a missing build is an ENGINE_FAILED error that says how to build it. */
export function loadNativeAddon(): NativeAddon {
  if (cached) return cached;
  const path = nativeAddonPath();
  if (!existsSync(path)) {
    throw new DocSightError(
      'ENGINE_FAILED',
      `The native vision-language engine is not built (${path} is missing). Run \`node scripts/build-native.mjs\` ` +
        '(it needs cmake and g++: apt-get install cmake g++), or reinstall with `npm install`.',
    );
  }
  cached = createRequire(import.meta.url)(path) as NativeAddon;
  return cached;
}
