import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Config } from '../../config/config.js';
import { DocSightError } from '../../errors.js';
import { openDocument } from '../../read/intake/index.js';
import { zoomForFile, zoomModeFromFlag } from '../../understand/ask/zoom-file.js';
import { createConfiguredEngine } from '../../understand/create-engine.js';
import { prepareImage } from '../../understand/images/prepare-image.js';
import { DEFAULT_TOKEN_BUDGET } from '../../understand/images/token-budget.js';
import { requireValidFields } from '../../understand/tasks/fields-output.js';
import { buildTaskRequest, type TaskName } from '../../understand/tasks/task-prompts.js';
import type { ChatStats, ChatUsage, EngineImage } from '../../understand/vision-language-engine.js';
import { configFromGlobals } from './command-config.js';
import {
  addEngineFlags,
  chatMaybeCached,
  engineOverrides,
  openImageStateCache,
  type EngineFlags,
} from './engine-flags.js';

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

export const positive = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of 1 or more.');
  return n;
};

/** An image file, or one page of a PDF/TIFF rendered, normalised to the token budget. */
export async function loadImage(
  path: string,
  page: number,
  budget: number,
  config: Config,
): Promise<EngineImage> {
  const bytes = new Uint8Array(
    await readFile(path).catch(() => {
      throw new DocSightError('NOT_FOUND', `${path}: no such file.`);
    }),
  );
  const doc = await openDocument(bytes, basename(path), config.intake);
  try {
    if (page > doc.pageCount) {
      throw new DocSightError(
        'BAD_REQUEST',
        `${path} has ${doc.pageCount} page(s); --page ${page} does not exist.`,
      );
    }
    // Single images go in as they are (prepareImage applies EXIF); documents are rendered page by page.
    const source =
      doc.kind === 'pdf' || doc.pageCount > 1 ? await (await doc.page(page)).renderPng(150) : bytes;
    const prepared = await prepareImage(source, { maxTokens: budget, maxPixels: config.intake.maxPixels });
    return { png: prepared.png, sha256: prepared.sha256 };
  } finally {
    await doc.close();
  }
}

async function readSchema(schema: string | undefined): Promise<string | Record<string, unknown> | undefined> {
  if (schema === undefined || ['receipt', 'invoice', 'contract'].includes(schema)) return schema;
  try {
    return JSON.parse(await readFile(schema, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new DocSightError(
      'BAD_REQUEST',
      `--schema ${schema}: not a preset and not a readable JSON file (${(err as Error).message}).`,
    );
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The stderr note on where the answer came from: the image-state cache (llama) or the upstream (openai). */
export function answerSource(delta: { cacheHit?: boolean }, cached: boolean): string {
  if (!cached) return 'answered upstream';
  return delta.cacheHit ? 'image state from cache' : 'image state cached for follow-ups';
}

/** Where the time of an answer went, for stderr: `cache note; N image(s) encoded in …; prefill …; …`. */
export function describeAnswer(done: { usage?: ChatUsage; stats?: ChatStats }, cacheNote: string): string {
  const { stats = {}, usage } = done;
  const parts = [cacheNote];
  if (stats.imagesEncoded !== undefined && stats.encodeMs !== undefined)
    parts.push(`${stats.imagesEncoded} image(s) encoded in ${seconds(stats.encodeMs)}`);
  if (stats.prefillMs !== undefined) parts.push(`prefill ${seconds(stats.prefillMs)}`);
  if (stats.generatedTokens !== undefined && stats.decodeMs !== undefined)
    parts.push(`${stats.generatedTokens} tokens in ${seconds(stats.decodeMs)}`);
  else if (usage) parts.push(`${usage.promptTokens} prompt + ${usage.completionTokens} answer tokens`);
  if (stats.firstTextMs !== undefined) parts.push(`first text after ${seconds(stats.firstTextMs)}`);
  return parts.join('; ');
}

/**
 * `docsight ask`: a question (or transcription, summary, field extraction) about images, answered by the local
 * Qwen3-VL (or the configured OpenAI-compatible upstreams) and streamed to stdout. With the local model the
 * engine state after each image is cached on disk, so asking again about the same page — even from a new
 * process — skips the vision encoder. `--task fields` output is checked against its schema.
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
    .option('--max-tokens <n>', 'longest answer, tokens', positive, 512)
    .option('--budget <tokens>', 'image token budget (default per task: ask 256, extract 1024, …)', positive)
    .option('--page <n>', 'page of a PDF or TIFF to look at', positive, 1)
    .option('--zoom', 'ask: always add a zoomed crop of the lines the question is about')
    .option('--no-zoom', 'ask: never add one (by default: only when their print is too small to read)');
  addEngineFlags(ask).action(async (question: string | undefined, opts: AskOptions, command: Command) => {
    const config = configFromGlobals(command, { understand: engineOverrides(opts) });
    const { engine, modelFiles } = createConfiguredEngine(config);
    if (opts.image.length === 0) throw new DocSightError('BAD_REQUEST', 'Give at least one --image FILE.');
    const budget = opts.budget ?? DEFAULT_TOKEN_BUDGET[opts.task];
    const images = [];
    for (const file of opts.image) images.push(await loadImage(file, opts.page, budget, config));
    // A question about one page: add a legible crop of the lines it is about (src/understand/ask/).
    let zoomedRegions = 0;
    if (opts.task === 'ask' && question?.trim() && opts.image.length === 1 && opts.zoom !== false) {
      const zoom = await zoomForFile({
        path: opts.image[0]!,
        page: opts.page,
        question,
        pageBudget: budget,
        mode: zoomModeFromFlag(opts.zoom),
        config,
      });
      images.push(...zoom.images);
      zoomedRegions = zoom.images.length;
      process.stderr.write(`[${zoom.note}]\n`);
    }
    const request = {
      ...buildTaskRequest(opts.task, {
        images,
        question,
        schema: await readSchema(opts.schema),
        zoomedRegions,
      }),
      maxTokens: opts.maxTokens,
    };
    const cache = await openImageStateCache(config, modelFiles);
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    let text = '';
    try {
      for await (const delta of chatMaybeCached(
        engine,
        cache,
        { ...request, signal: controller.signal },
        budget,
      )) {
        if (delta.type === 'text') {
          text += delta.text;
          process.stdout.write(delta.text);
        } else {
          process.stdout.write('\n');
          process.stderr.write(`[${describeAnswer(delta, answerSource(delta, cache !== undefined))}]\n`);
          // The grammar shapes the llama answer; the check catches a cut-off answer or an upstream that ignored the schema.
          if (request.jsonSchema && delta.finishReason !== 'cancelled') {
            requireValidFields(text, request.jsonSchema, delta.finishReason);
          }
        }
      }
    } finally {
      process.off('SIGINT', stop);
      await engine.close();
    }
  });
}
