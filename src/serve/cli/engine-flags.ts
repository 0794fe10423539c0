import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Config, ConfigOverrides } from '../../config/config.js';
import { chatWithImageCache, isStatefulEngine } from '../../understand/ask/chat-with-image-cache.js';
import { ImageStateCache, modelIdentity } from '../../understand/image-cache/image-state-cache.js';
import type { ModelPaths } from '../../models/model-store.js';
import type { ScheduledChatRequest, ScheduledEngine } from '../../understand/scheduler/scheduled-engine.js';
import type { ChatDelta } from '../../understand/vision-language-engine.js';

/** The engine flags `ask` and `chat` share; they override `understand.*` of the configuration. */
export interface EngineFlags {
  backend?: 'llama' | 'openai';
  upstream: string[];
  threads?: number;
  modelPath?: string;
  mmprojPath?: string;
}

const positiveInteger = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of 1 or more.');
  return n;
};

/** Adds `--backend`, `--upstream`, `--threads`, `--model-path`, `--mmproj-path` to a command. */
export function addEngineFlags(command: Command): Command {
  return command
    .addOption(
      new Option('--backend <backend>', 'who answers: the local model or upstreams').choices([
        'llama',
        'openai',
      ]),
    )
    .option(
      '--upstream <url>',
      'OpenAI-compatible server (llama-server, vLLM, Ollama); repeat to rotate over several; implies --backend openai',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('--threads <n>', 'CPU threads for the local model', positiveInteger)
    .option('--model-path <gguf>', 'text model GGUF (instead of the pulled default)')
    .option('--mmproj-path <gguf>', 'vision projector GGUF (with --model-path)');
}

/** The flags as configuration overrides: only what was given, so the file and environment fill the rest. */
export function engineOverrides(flags: EngineFlags): NonNullable<ConfigOverrides['understand']> {
  const understand: NonNullable<ConfigOverrides['understand']> = {};
  if (flags.upstream.length > 0) {
    understand.upstreams = flags.upstream;
    understand.backend = 'openai';
  }
  if (flags.backend) understand.backend = flags.backend;
  if (flags.threads !== undefined) understand.threads = flags.threads;
  if (flags.modelPath !== undefined) understand.modelPath = flags.modelPath;
  if (flags.mmprojPath !== undefined) understand.mmprojPath = flags.mmprojPath;
  return understand;
}

/**
 * The on-disk image-state cache, where the engine can save its state: the local model (an upstream keeps
 * its own cache, if any). Undefined for the openai backend or a cache size of 0.
 */
export async function openImageStateCache(
  config: Config,
  modelFiles: ModelPaths | undefined,
): Promise<ImageStateCache | undefined> {
  if (!modelFiles || config.understand.imageStateCacheBytes === 0) return undefined;
  return ImageStateCache.open({
    dir: join(config.home, 'cache', 'image-state'),
    maxBytes: config.understand.imageStateCacheBytes,
    modelId: await modelIdentity([modelFiles.model, modelFiles.mmproj]),
  });
}

/**
 * One chat through the scheduler; with a cache, the state is loaded, used and saved on the slot that answers
 * (a saved state belongs to the worker whose KV cache it is).
 */
export function chatMaybeCached(
  engine: ScheduledEngine,
  cache: ImageStateCache | undefined,
  request: ScheduledChatRequest,
  tokenBudget: number,
): AsyncIterable<ChatDelta & { cacheHit?: boolean }> {
  return engine.chatOnSlot(request, (slot, r) =>
    cache && isStatefulEngine(slot) ? chatWithImageCache(slot, cache, r, tokenBudget) : slot.chat(r),
  );
}
