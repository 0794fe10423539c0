import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import { createConversation, deleteConversation, sendMessage } from '../../app/chat.js';
import { createDocSight, type DocSight } from '../../app/docsight.js';
import { answerSource, describeAnswer } from './answer-notes.js';
import { configFromGlobals } from './command-config.js';
import { addEngineFlags, engineOverrides, type EngineFlags } from './engine-flags.js';
import { positiveInteger } from './options.js';
import type { ImageInput } from '../../app/page-images.js';
import { readImageFiles } from './image-files.js';

export interface ChatLoopOptions {
  app: DocSight;
  conversationId: string;
  maxTokens: number;
  /** Image token budget (the conversation's first message fixes it). */
  budget?: number;
  /** Images to send with the first line (added to a continued conversation). */
  images?: ImageInput[];
  input: Readable;
  output: Writable;
  /** Where timings go (stderr in the CLI). */
  log: Writable;
  signal?: AbortSignal;
}

/**
 * The shell of `docsight chat`: one message per input line, sent to one conversation (`sendMessage` in
 * src/app/chat.ts keeps the turns and the image state). Ends at end of input or `/quit`; returns the turns.
 */
export async function runChatLoop(options: ChatLoopOptions): Promise<number> {
  const lines = createInterface({ input: options.input, terminal: false });
  // Ctrl-C stops the answer being written and ends the loop (a second one ends the process).
  options.signal?.addEventListener('abort', () => lines.close(), { once: true });
  let turns = 0;
  for await (const raw of lines) {
    const text = raw.trim();
    if (text === '') continue;
    if (text === '/quit' || options.signal?.aborted) break;
    const reply = sendMessage(options.app, options.conversationId, {
      text,
      images: turns === 0 ? options.images : undefined,
      maxTokens: options.maxTokens,
      budget: options.budget,
      signal: options.signal,
    });
    for await (const event of reply) {
      if (event.type === 'text') {
        options.output.write(event.text);
        continue;
      }
      options.output.write('\n');
      const source = answerSource(event.stats, { followUp: turns > 0 });
      options.log.write(`[${describeAnswer(event, source)}]\n`);
    }
    turns++;
  }
  return turns;
}

interface ChatOptions extends EngineFlags {
  image: string[];
  maxTokens: number;
  budget?: number;
  page: number;
  conversation?: string;
  keep?: boolean;
}

/**
 * `docsight chat --image FILE`: follow-up questions about one document, one per line. The conversation is
 * kept in the library only with `--keep` (it is then listed for the server's clients and can be continued
 * with `--conversation ID`); by default it is deleted on exit, so a quick look at a local file leaves no copy
 * of it in the library.
 */
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
    .option('--max-tokens <n>', 'longest answer, tokens', positiveInteger('--max-tokens'), 512)
    .option('--budget <tokens>', 'image token budget (default 256)', positiveInteger('--budget'))
    .option('--page <n>', 'page of a PDF or TIFF to look at', positiveInteger('--page'), 1)
    .option('--conversation <id>', 'continue a kept conversation (--image then adds images to it)')
    .option('--keep', 'keep the conversation in the library (prints its id)');
  addEngineFlags(chat).action(async (opts: ChatOptions, command: Command) => {
    const config = configFromGlobals(command, { understand: engineOverrides(opts) });
    const app = createDocSight(config, { ocrThread: 'main' });
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    let id = opts.conversation;
    const temporary = id === undefined && !opts.keep;
    try {
      app.engine(); // MODEL_MISSING (with the command that fixes it) before anything else
      const images =
        id === undefined || opts.image.length > 0
          ? await readImageFiles(opts.image, opts.page, config)
          : undefined;
      // A new conversation starts with the images; a continued one gets them with the next question.
      if (id === undefined) id = (await createConversation(app, { images })).id;
      if (process.stdin.isTTY)
        process.stderr.write('Ask about the document; one question per line, Ctrl-D to end.\n');
      await runChatLoop({
        app,
        conversationId: id,
        maxTokens: opts.maxTokens,
        budget: opts.budget,
        images: opts.conversation === undefined ? undefined : images,
        input: process.stdin,
        output: process.stdout,
        log: process.stderr,
        signal: controller.signal,
      });
      if (!temporary) process.stderr.write(`[conversation ${id}: docsight chat --conversation ${id}]\n`);
    } finally {
      process.off('SIGINT', stop);
      if (temporary && id !== undefined) await deleteConversation(app, id).catch(() => undefined);
      await app.close();
    }
  });
}
