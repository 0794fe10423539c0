import { DocSightError } from '../errors.js';
import { zoomForQuestion, type ZoomMode } from '../understand/ask/question-zoom.js';
import { DEFAULT_TOKEN_BUDGET } from '../understand/images/token-budget.js';
import { buildTaskRequest, type TaskName } from '../understand/tasks/task-prompts.js';
import type { EngineImage } from '../understand/vision-language-engine.js';
import type { DocSight } from './docsight.js';
import { answerWithEngine, type AnswerEvent } from './engine-answer.js';
import { fitToBudget, loadPageSource, type ImageInput } from './page-images.js';

export interface AskInput {
  images: ImageInput[];
  /** The question (`ask`), or an extra instruction for the other tasks. */
  question?: string;
  task?: TaskName;
  /** For `fields`: a preset (`receipt`, `invoice`, `contract`) or a JSON Schema object. */
  schema?: string | Record<string, unknown>;
  /** Image token budget; default per task (DEFAULT_TOKEN_BUDGET). */
  budget?: number;
  /** ask, one image: add a legible crop of the lines the question is about ('auto': only where print is small). */
  zoom?: ZoomMode;
  /** Longest answer, tokens (default 512). */
  maxTokens?: number;
  /** Stops the answer (a client that went away, Ctrl-C): the engine stops generating. */
  signal?: AbortSignal;
}

export const DEFAULT_MAX_TOKENS = 512;

/**
 * A question (or transcription, summary, field extraction) about document images, answered by the configured
 * engine and streamed. With the local model the engine state after the images is cached on disk, so asking
 * again about the same page — even from another process — skips the vision encoder. Fields are checked
 * against their schema before `done` (INVALID_OUTPUT otherwise).
 *
 * @example
 *   for await (const event of askAboutImages(app, { images: [{ bytes, name: 'receipt.jpg' }], question: 'Total?' })) {
 *     if (event.type === 'text') process.stdout.write(event.text);
 *     else console.error(event.stats.imagesEncoded);
 *   }
 */
export async function* askAboutImages(app: DocSight, input: AskInput): AsyncGenerator<AnswerEvent> {
  const task = input.task ?? 'ask';
  if (input.images.length === 0) throw new DocSightError('BAD_REQUEST', 'Give at least one image.');
  app.engine(); // a missing or broken model is reported before any page is rendered
  const budget = input.budget ?? DEFAULT_TOKEN_BUDGET[task];
  const zoomMode = input.zoom ?? 'auto';
  const zooming =
    task === 'ask' && !!input.question?.trim() && input.images.length === 1 && zoomMode !== 'off';
  const images: EngineImage[] = [];
  let zoom: Awaited<ReturnType<typeof zoomForQuestion>> | undefined;
  for (const image of input.images) {
    const source = await loadPageSource(app, image, { forZoom: zooming });
    images.push(await fitToBudget(app, source.bytes, budget));
    if (zooming) {
      // A question about one page: add a legible crop of the lines it is about (src/understand/ask/).
      zoom = await zoomForQuestion({
        image: source.zoomImage ?? source.bytes,
        question: input.question!,
        pageBudget: budget,
        mode: zoomMode,
        lines: source.lines,
        ocr: app.ocr,
        maxPixels: app.config.intake.maxPixels,
        signal: input.signal,
      });
      images.push(...zoom.images.map(({ png, sha256 }) => ({ png, sha256 })));
    }
  }
  const zoomedRegions = zoom?.images.length ?? 0;
  const request = {
    ...buildTaskRequest(task, { images, question: input.question, schema: input.schema, zoomedRegions }),
    maxTokens: input.maxTokens ?? DEFAULT_MAX_TOKENS,
    signal: input.signal,
  };
  for await (const event of answerWithEngine(app, request, { budget })) {
    if (event.type === 'done' && zoom) event.stats = { ...event.stats, zoom: zoom.note, zoomedRegions };
    yield event;
  }
}
