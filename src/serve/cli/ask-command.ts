import { Option, type Command } from 'commander';
import { askAboutImages } from '../../app/ask.js';
import { createDocSight } from '../../app/docsight.js';
import type { TaskName } from '../../understand/tasks/task-prompts.js';
import { answerSource, describeAnswer } from './answer-notes.js';
import { configFromGlobals } from './command-config.js';
import { addEngineFlags, engineOverrides, type EngineFlags } from './engine-flags.js';
import { positiveInteger } from './options.js';
import { readImageFiles, readSchemaFlag } from './image-files.js';

interface AskOptions extends EngineFlags {
  image: string[];
  task: TaskName;
  schema?: string;
  maxTokens: number;
  budget?: number;
  page: number;
  /** --zoom: true, --no-zoom: false, neither: undefined (zoom only where the print is too small). */
  zoom?: boolean;
}

/**
 * `docsight ask`: a question (or transcription, summary, field extraction) about images, streamed to stdout.
 * The use case is `askAboutImages` (src/app/ask.ts); this reads the files and prints.
 */
export function registerAskCommand(program: Command): void {
  const ask = program
    .command('ask')
    .description(
      'Ask the vision-language model (local or upstream) about document images (streams the answer).',
    )
    .argument('[question]', 'the question, or an extra instruction for --task extract|summarize|fields')
    .option(
      '--image <file>',
      'an image or PDF (repeat for several)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .addOption(
      new Option('--task <task>', 'what to do')
        .choices(['ask', 'extract', 'summarize', 'fields'])
        .default('ask'),
    )
    .option('--schema <preset|file>', 'for --task fields: receipt, invoice, contract, or a JSON Schema file')
    .option('--max-tokens <n>', 'longest answer, tokens', positiveInteger('--max-tokens'), 512)
    .option(
      '--budget <tokens>',
      'image token budget (default per task: ask 256, extract 1024, …)',
      positiveInteger('--budget'),
    )
    .option('--page <n>', 'page of a PDF or TIFF to look at', positiveInteger('--page'), 1)
    .option('--zoom', 'ask: always add a zoomed crop of the lines the question is about')
    .option('--no-zoom', 'ask: never add one (by default: only when their print is too small to read)');
  addEngineFlags(ask).action(async (question: string | undefined, opts: AskOptions, command: Command) => {
    const config = configFromGlobals(command, { understand: engineOverrides(opts) });
    const app = createDocSight(config, { ocrThread: 'main' });
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    try {
      app.engine(); // MODEL_MISSING (with the command that fixes it) before anything else
      const answer = askAboutImages(app, {
        images: await readImageFiles(opts.image, opts.page, config),
        question,
        task: opts.task,
        schema: await readSchemaFlag(opts.schema, config),
        budget: opts.budget,
        zoom: opts.zoom === undefined ? 'auto' : opts.zoom ? 'force' : 'off',
        maxTokens: opts.maxTokens,
        signal: controller.signal,
      });
      for await (const event of answer) {
        if (event.type === 'text') {
          process.stdout.write(event.text);
          continue;
        }
        process.stdout.write('\n');
        if (event.stats.zoom) process.stderr.write(`[${event.stats.zoom}]\n`);
        process.stderr.write(`[${describeAnswer(event, answerSource(event.stats))}]\n`);
      }
    } finally {
      process.off('SIGINT', stop);
      await app.close();
    }
  });
}
