import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import { DocSightError } from '../../errors.js';
import { createConfiguredEngine } from '../../understand/create-engine.js';
import type { ImageStateCache } from '../../understand/image-cache/image-state-cache.js';
import { DEFAULT_TOKEN_BUDGET } from '../../understand/images/token-budget.js';
import type { ScheduledEngine } from '../../understand/scheduler/scheduled-engine.js';
import { buildTaskRequest } from '../../understand/tasks/task-prompts.js';
import type { ChatMessage, ChatRequest, EngineImage } from '../../understand/vision-language-engine.js';
import { answerSource, describeAnswer, loadImage, positive } from './ask-command.js';
import { configFromGlobals } from './command-config.js';
import {
  addEngineFlags,
  chatMaybeCached,
  engineOverrides,
  openImageStateCache,
  type EngineFlags,
} from './engine-flags.js';

export interface ChatLoopOptions {
  engine: ScheduledEngine;
  /** The image-state cache (local model only); the first answer loads or saves the image's state. */
  cache?: ImageStateCache;
  images: EngineImage[];
  budget: number;
  maxTokens: number;
  input: Readable;
  output: Writable;
  /** Where timings go (stderr in the CLI). */
  log: Writable;
}

/**
 * One question per input line about the same images, keeping the conversation. The first answer may load the
 * image state from the disk cache; later turns resend the history, and the engine evaluates only what is new
 * (the scheduler sends them to the slot that holds the image and earlier turns in its KV cache). Ends at end
 * of input or an empty `/quit`.
 */
export async function runChatLoop(options: ChatLoopOptions): Promise<number> {
  const lines = createInterface({ input: options.input, terminal: false });
  let history: ChatMessage[] | undefined;
  let turns = 0;
  for await (const raw of lines) {
    const question = raw.trim();
    if (question === '') continue;
    if (question === '/quit') break;
    let request: ChatRequest;
    if (!history) {
      request = {
        ...buildTaskRequest('ask', { images: options.images, question }),
        maxTokens: options.maxTokens,
      };
      history = request.messages;
    } else {
      history = [...history, { role: 'user', content: question }];
      request = { messages: history, images: options.images, maxTokens: options.maxTokens, temperature: 0 };
    }
    const stream =
      turns === 0
        ? chatMaybeCached(options.engine, options.cache, request, options.budget)
        : options.engine.chat(request);
    let answer = '';
    for await (const delta of stream) {
      if (delta.type === 'text') {
        answer += delta.text;
        options.output.write(delta.text);
      } else {
        options.output.write('\n');
        const note =
          turns === 0
            ? answerSource(delta as { cacheHit?: boolean }, options.cache !== undefined)
            : 'follow-up';
        options.log.write(`[${describeAnswer(delta, note)}]\n`);
      }
    }
    history = [...history, { role: 'assistant', content: answer }];
    turns++;
  }
  return turns;
}

/** `docsight chat --image FILE`: an interactive question loop about one document, follow-ups from the cache. */
export function registerChatCommand(program: Command): void {
  const chat = program
    .command('chat')
    .description('Ask follow-up questions about document images, one per line (Ctrl-D to end).')
    .option(
      '--image <file>',
      'an image or PDF (repeat for several)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('--max-tokens <n>', 'longest answer, tokens', positive, 512)
    .option('--budget <tokens>', 'image token budget', positive, DEFAULT_TOKEN_BUDGET.ask)
    .option('--page <n>', 'page of a PDF or TIFF to look at', positive, 1);
  addEngineFlags(chat).action(
    async (
      opts: EngineFlags & { image: string[]; maxTokens: number; budget: number; page: number },
      command: Command,
    ) => {
      const config = configFromGlobals(command, { understand: engineOverrides(opts) });
      const { engine, modelFiles } = createConfiguredEngine(config);
      if (opts.image.length === 0) throw new DocSightError('BAD_REQUEST', 'Give at least one --image FILE.');
      const images = [];
      for (const file of opts.image) images.push(await loadImage(file, opts.page, opts.budget, config));
      const cache = await openImageStateCache(config, modelFiles);
      if (process.stdin.isTTY)
        process.stderr.write('Ask about the document; one question per line, Ctrl-D to end.\n');
      try {
        await runChatLoop({
          engine,
          cache,
          images,
          budget: opts.budget,
          maxTokens: opts.maxTokens,
          input: process.stdin,
          output: process.stdout,
          log: process.stderr,
        });
      } finally {
        await engine.close();
      }
    },
  );
}
