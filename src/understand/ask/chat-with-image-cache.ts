import type { ImageStateCache } from '../image-cache/image-state-cache.js';
import { imageStateKey } from '../image-cache/image-state-cache.js';
import type { ChatDelta, ChatRequest, VisionLanguageEngine } from '../vision-language-engine.js';

/** An engine whose context state can be written to and read from a file (the in-process llama engine). */
export interface StatefulEngine extends VisionLanguageEngine {
  saveState(path: string): Promise<unknown>;
  loadState(path: string): Promise<unknown>;
}

/** True when `engine` can save and load its state (the llama engine; an upstream cannot). */
export function isStatefulEngine(engine: VisionLanguageEngine): engine is StatefulEngine {
  const e = engine as Partial<StatefulEngine>;
  return typeof e.saveState === 'function' && typeof e.loadState === 'function';
}

/**
 * The cache key of a request: its images, their token budget and the system instructions that precede them,
 * since a saved state is only reusable when the prompt up to and including the images is the same.
 */
export function requestStateKey(request: ChatRequest, tokenBudget: number): string | undefined {
  const images = request.images ?? [];
  if (images.length === 0) return undefined;
  const system = request.messages.filter((m) => m.role === 'system').map((m) => JSON.stringify(m.content));
  return imageStateKey({
    imageSha256: images.map((i) => i.sha256).join(','),
    tokenBudget,
    prefix: system.join('\n'),
  });
}

/**
 * Chat with the image-state cache around it: on a hit the saved state (image already encoded) is loaded first,
 * so the engine only evaluates the new question; on a miss the state is saved after the answer, so the next
 * question about the same image — in this process or after a restart — skips the vision encoder.
 *
 * @example
 *   for await (const delta of chatWithImageCache(engine, cache, request, DEFAULT_TOKEN_BUDGET.ask)) ...
 */
export async function* chatWithImageCache(
  engine: StatefulEngine,
  cache: ImageStateCache,
  request: ChatRequest,
  tokenBudget: number,
): AsyncGenerator<ChatDelta & { cacheHit?: boolean }> {
  const key = requestStateKey(request, tokenBudget);
  const saved = key ? cache.lookup(key) : undefined;
  let hit = false;
  if (saved) {
    try {
      await engine.loadState(saved);
      hit = true;
    } catch {
      // A state the engine cannot read (truncated by a crash, written by another build) is a miss, not an error.
    }
  }
  let finished = false;
  for await (const delta of engine.chat(request)) {
    if (delta.type === 'done') {
      finished = delta.finishReason !== 'cancelled';
      yield { ...delta, cacheHit: hit };
    } else yield delta;
  }
  if (key && !hit && finished) await cache.store(key, (path) => engine.saveState(path));
  await cache.flush();
}
