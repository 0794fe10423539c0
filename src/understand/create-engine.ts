import { availableParallelism } from 'node:os';
import type { Config } from '../config/config.js';
import { createLlamaEngine } from './engine/llama-engine.js';
import { resolveModelPaths, type ModelPaths } from '../models/model-store.js';
import { createScheduledEngine, type ScheduledEngine } from './scheduler/scheduled-engine.js';
import { createOpenAiEngine } from './upstream/openai-engine.js';
import type { VisionLanguageEngine } from './vision-language-engine.js';

/**
 * The one place that turns the `understand` configuration into an engine: the chosen backend, one engine per
 * slot, and the scheduler in front, so every request anywhere goes through the same admission control.
 */
export interface ConfiguredEngine {
  engine: ScheduledEngine;
  backend: Config['understand']['backend'];
  /** The model files (llama): what saved image states are only valid for. */
  modelFiles?: ModelPaths;
}

/**
 * CPU threads per llama slot when none are configured: the cores shared out, because two workers that each
 * spin on every core only slow each other down.
 */
export const threadsPerSlot = (slots: number, cores = availableParallelism()): number =>
  Math.max(1, Math.floor(cores / slots));

/**
 * @example
 *   const { engine } = createConfiguredEngine(loadConfig());
 *   for await (const delta of engine.chat({ messages, images: [page] })) ...
 *   await engine.close();
 */
export function createConfiguredEngine(config: Pick<Config, 'home' | 'understand'>): ConfiguredEngine {
  const u = config.understand;
  const scheduling = { maxQueue: u.maxQueue, timeoutMs: u.requestTimeoutMs };
  if (u.backend === 'openai') {
    // Stateless: one client serves every slot; slots only bound how many requests go upstream at once.
    const upstream = createOpenAiEngine({ baseUrls: u.upstreams, model: u.upstreamModel, apiKey: u.apiKey });
    const slots: VisionLanguageEngine[] = Array.from({ length: u.slots }, () => upstream);
    return { backend: 'openai', engine: createScheduledEngine({ slots, ...scheduling }) };
  }
  const modelFiles = resolveModelPaths({
    home: config.home,
    modelPath: u.modelPath,
    mmprojPath: u.mmprojPath,
  });
  // One worker process per slot (llama.cpp's sequences are not exposed by our addon). The GGUFs are mmap'd:
  // weights used in place (Q8_0) are one copy in the page cache for all workers; weights llama.cpp repacks for
  // the CPU (Q4_0, Q4_K on AVX2), the projector and the KV cache are private to each (README: slots).
  const slots = Array.from({ length: u.slots }, () =>
    createLlamaEngine({
      model: modelFiles.model,
      mmproj: modelFiles.mmproj,
      threads: u.threads ?? threadsPerSlot(u.slots),
      nCtx: u.contextSize,
    }),
  );
  return { backend: 'llama', modelFiles, engine: createScheduledEngine({ slots, ...scheduling }) };
}
