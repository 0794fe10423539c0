import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Config } from '../../config/config.js';
import { DocSightError } from '../../errors.js';
import { openDocument } from '../../read/intake/index.js';
import { createLazyOcrEngine } from '../../read/read-document.js';
import { zoomForQuestion, type QuestionZoom, type ZoomMode } from './question-zoom.js';

/**
 * PDF pages are rendered at this resolution for cropping: 10-pt print is ~28 px high, so a crop reaches the
 * 24-px target without enlarging, while the render stays a quarter of a 300-dpi page's pixels.
 */
export const ZOOM_RENDER_DPI = 200;

/** `--zoom` → 'force', `--no-zoom` → 'off', neither → 'auto'. */
export function zoomModeFromFlag(flag: boolean | undefined): ZoomMode {
  return flag === undefined ? 'auto' : flag ? 'force' : 'off';
}

/**
 * The zoom step for a page of a file (`docsight ask --image FILE`): the page's own text layer when a PDF has
 * one, OCR of the page otherwise (loaded only when needed), then the crops for the question.
 *
 * @example
 *   const zoom = await zoomForFile({ path: 'scan.pdf', page: 1, question, pageBudget: 256, mode: 'auto', config });
 *   images.push(...zoom.images);
 */
export async function zoomForFile(input: {
  path: string;
  page: number;
  question: string;
  pageBudget: number;
  mode: ZoomMode;
  config: Config;
  signal?: AbortSignal;
}): Promise<QuestionZoom> {
  if (input.mode === 'off') return { images: [], linesFrom: 'none', note: 'zoom off' };
  const bytes = new Uint8Array(
    await readFile(input.path).catch(() => {
      throw new DocSightError('NOT_FOUND', `${input.path}: no such file.`);
    }),
  );
  const doc = await openDocument(bytes, basename(input.path), input.config.intake);
  const ocr = createLazyOcrEngine(input.config.ocr);
  try {
    const page = await doc.page(Math.min(input.page, doc.pageCount));
    // The same page image the question is asked about (ask-command's loadImage), at a resolution for crops.
    const image = doc.kind === 'pdf' || doc.pageCount > 1 ? await page.renderPng(ZOOM_RENDER_DPI) : bytes;
    return await zoomForQuestion({
      image,
      question: input.question,
      pageBudget: input.pageBudget,
      mode: input.mode,
      lines: page.textLines ? { lines: page.textLines, width: page.width, height: page.height } : undefined,
      ocr,
      maxPixels: input.config.intake.maxPixels,
      signal: input.signal,
    });
  } finally {
    await doc.close();
    await ocr.close();
  }
}
