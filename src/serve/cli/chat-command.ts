import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import { DocSightError } from '../../errors.js';
import { chatWithImageCache, type StatefulEngine } from '../../understand/ask/chat-with-image-cache.js';
import { createLlamaEngine } from '../../understand/engine/llama-engine.js';
import { ImageStateCache, modelIdentity } from '../../understand/image-cache/image-state-cache.js';
import { DEFAULT_TOKEN_BUDGET } from '../../understand/images/token-budget.js';
import { resolveModelPaths } from '../../understand/model-files/model-store.js';
import { buildTaskRequest } from '../../understand/tasks/task-prompts.js';
import type { ChatMessage, ChatRequest, EngineImage } from '../../understand/vision-language-engine.js';
import { describeAnswer, IMAGE_STATE_CACHE_BYTES, loadImage, positive } from './ask-command.js';
import { configFromGlobals } from './command-config.js';

export interface ChatLoopOptions {
  engine: StatefulEngine;
  cache: ImageStateCache;
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
 * (the image and earlier turns are already in its KV cache). Ends at end of input or an empty `/quit`.
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
        ? chatWithImageCache(options.engine, options.cache, request, options.budget)
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
            ? (delta as { cacheHit?: boolean }).cacheHit
              ? 'image state from cache'
              : 'image state cached'
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
  program
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
    .option('--page <n>', 'page of a PDF or TIFF to look at', positive, 1)
    .option('--threads <n>', 'CPU threads for the model', positive)
    .option('--model-path <gguf>', 'text model GGUF (instead of the pulled default)')
    .option('--mmproj-path <gguf>', 'vision projector GGUF (with --model-path)')
    .action(
      async (
        opts: {
          image: string[];
          maxTokens: number;
          budget: number;
          page: number;
          threads?: number;
          modelPath?: string;
          mmprojPath?: string;
        },
        command: Command,
      ) => {
        const config = configFromGlobals(command);
        const paths = resolveModelPaths({
          home: config.home,
          modelPath: opts.modelPath,
          mmprojPath: opts.mmprojPath,
        });
        if (opts.image.length === 0)
          throw new DocSightError('BAD_REQUEST', 'Give at least one --image FILE.');
        const images = [];
        for (const file of opts.image) images.push(await loadImage(file, opts.page, opts.budget, config));
        const cache = await ImageStateCache.open({
          dir: join(config.home, 'cache', 'image-state'),
          maxBytes: IMAGE_STATE_CACHE_BYTES,
          modelId: await modelIdentity([paths.model, paths.mmproj]),
        });
        const engine = createLlamaEngine({ model: paths.model, mmproj: paths.mmproj, threads: opts.threads });
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
