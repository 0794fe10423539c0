import type { NativeGenerateResult, NativeLoadOptions } from '../../native/native-addon.js';

/** Messages between the engine (parent) and the worker process that owns the native addon. */

export interface WorkerGenerateRequest {
  prompt: string;
  /** Encoded images (PNG, JPEG, WebP) in prompt order. */
  images: Uint8Array[];
  /** Long side images are scaled down to before encoding (the pixel budget); 0: as given. */
  imageMaxSide: number;
  maxTokens: number;
  temperature: number;
  topP: number;
  seed: number;
  stop: string[];
  jsonSchema?: unknown;
  ignoreEos: boolean;
}

export type ToWorker =
  | { kind: 'load'; id: number; options: NativeLoadOptions }
  | { kind: 'generate'; id: number; request: WorkerGenerateRequest }
  | { kind: 'abort' }
  | { kind: 'saveState' | 'loadState'; id: number; path: string }
  | { kind: 'clearCache'; id: number }
  | { kind: 'systemInfo'; id: number }
  | { kind: 'usage'; id: number };

export type GenerateResult = NativeGenerateResult & {
  imagePrepMs: number;
  /** CPU time the worker process spent on the request (all threads), ms. */
  cpuMs: number;
};
