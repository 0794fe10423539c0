import { Option, type Command } from 'commander';
import type { ConfigOverrides } from '../../config/config.js';
import { positiveInteger } from './options.js';

/** The engine flags `ask` and `chat` share; they override `understand.*` of the configuration. */
export interface EngineFlags {
  backend?: 'llama' | 'openai';
  upstream: string[];
  threads?: number;
  modelPath?: string;
  mmprojPath?: string;
}

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
    .option('--threads <n>', 'CPU threads for the local model', positiveInteger('--threads'))
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
