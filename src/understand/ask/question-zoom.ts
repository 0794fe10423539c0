import sharp from 'sharp';
import { DocSightError } from '../../errors.js';
import type { OcrEngine } from '../../read/ocr/engine.js';
import type { RawImage, TextLine } from '../../read/types.js';
import { prepareImage } from '../images/prepare-image.js';
import {
  pageScale,
  planQuestionCrops,
  type CropPlan,
  type PlannedCrop,
  type ZoomOptions,
} from '../images/question-crops.js';
import type { EngineImage } from '../vision-language-engine.js';

/**
 * The zoom step of `ask`: adds, after the page image, a crop of the region the question is about, at a scale
 * where its print is legible — only when the page's token budget would render that print too small to read.
 *
 * - 'auto' (default): zoom where the matched lines' text would render below ~12 px at the page's budget.
 * - 'force' (`--zoom`): zoom wherever lines match, whatever the print size (to compare answers).
 * - 'off' (`--no-zoom`, `zoom: false`): the page alone, as before; no OCR is run for it.
 */
export type ZoomMode = 'auto' | 'force' | 'off';

export interface QuestionZoomInput {
  /** The page as it is given to prepareImage for the page image: image bytes or a rendered PNG. */
  image: Uint8Array;
  question: string;
  /** Token budget of the page image. */
  pageBudget: number;
  mode?: ZoomMode;
  /**
   * The page's lines when they are known (a library page has them stored; a PDF page may have a text layer),
   * with the size of the page their boxes refer to; scaled to the image here.
   */
  lines?: { lines: TextLine[]; width: number; height: number };
  /** Reads the page when no lines are given. Without it and without lines, there is nothing to zoom on. */
  ocr?: Pick<OcrEngine, 'recognize'>;
  cropBudget?: number;
  maxCrops?: number;
  maxPixels?: number;
  signal?: AbortSignal;
}

export interface QuestionZoom {
  /** The crops, in order, to send after the page image. Empty when no zoom helps. */
  images: (EngineImage & { width: number; height: number; tokens: number })[];
  plan?: CropPlan;
  /** Where the lines came from: given, read by OCR now, or none. */
  linesFrom: 'given' | 'ocr' | 'none';
  /** One line for stderr: what was done and why. */
  note: string;
}

async function decodeUpright(image: Uint8Array, maxPixels?: number): Promise<RawImage> {
  try {
    // The same orientation and flattening as prepareImage, so OCR boxes fall where the crop is cut.
    const { data, info } = await sharp(image, { limitInputPixels: maxPixels ?? false })
      .rotate()
      .flatten({ background: '#ffffff' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      channels: 3,
    };
  } catch (err) {
    throw new DocSightError('CORRUPT_FILE', `The image could not be decoded: ${(err as Error).message}`);
  }
}

function scaleLines(lines: TextLine[], sx: number, sy: number): TextLine[] {
  if (sx === 1 && sy === 1) return lines;
  return lines.map((l) => ({ ...l, box: l.box.map((v, i) => (i % 2 ? v * sy : v * sx)) as TextLine['box'] }));
}

const px = (n: number) => `${n.toFixed(1)} px`;

function describe(plan: CropPlan, lines: TextLine[]): string {
  if (plan.reason === 'zoom') {
    return plan.crops
      .map((c: PlannedCrop) => {
        const text = lines[c.matched[0]!]?.text ?? '';
        return (
          `zoomed on "${text.length > 40 ? text.slice(0, 39) + '…' : text}": its text renders at ` +
          `${px(c.pageTextPx)} in the page, ${px(c.cropTextPx)} in a ${c.width}×${c.height} crop (${c.tokens} tokens)`
        );
      })
      .join('; ');
  }
  const why = {
    'no-terms': 'the question has no words to look for',
    'no-match': `no line matches ${plan.terms.join(', ')}`,
    legible: 'the matching text is already legible in the page image',
    'no-gain': 'a crop would not make the text larger',
  }[plan.reason];
  return `no zoom: ${why}`;
}

/**
 * Plans and cuts the zoomed crops for a question about one page image.
 *
 * @example
 *   const zoom = await zoomForQuestion({ image: bytes, question, pageBudget: 256, ocr });
 *   const request = buildTaskRequest('ask', { images: [page, ...zoom.images], question, zoomedRegions: zoom.images.length });
 */
export async function zoomForQuestion(input: QuestionZoomInput): Promise<QuestionZoom> {
  const mode = input.mode ?? 'auto';
  if (mode === 'off') return { images: [], linesFrom: 'none', note: 'zoom off' };
  const raw = await decodeUpright(input.image, input.maxPixels);
  const page = { width: raw.width, height: raw.height };
  // A page small enough to be sent at its own resolution shows its print as large as any crop would.
  if (mode === 'auto' && pageScale(page, input.pageBudget) >= 1) {
    return { images: [], linesFrom: 'none', note: 'no zoom: the page is sent at full resolution' };
  }
  let lines: TextLine[];
  let linesFrom: QuestionZoom['linesFrom'];
  if (input.lines) {
    lines = scaleLines(input.lines.lines, raw.width / input.lines.width, raw.height / input.lines.height);
    linesFrom = 'given';
  } else if (input.ocr) {
    lines = (await input.ocr.recognize(raw, { signal: input.signal })).lines;
    linesFrom = 'ocr';
  } else {
    return { images: [], linesFrom: 'none', note: 'no zoom: no text lines to match the question against' };
  }
  const options: ZoomOptions = {
    pageBudget: input.pageBudget,
    mode: mode === 'force' ? 'force' : 'auto',
    cropBudget: input.cropBudget,
    maxCrops: input.maxCrops,
  };
  const plan = planQuestionCrops(input.question, lines, page, options);
  const images: QuestionZoom['images'] = [];
  for (const crop of plan.crops) {
    const prepared = await prepareImage(input.image, {
      maxTokens: crop.tokens,
      region: crop.region,
      size: { width: crop.width, height: crop.height },
      maxPixels: input.maxPixels,
    });
    images.push({
      png: prepared.png,
      sha256: prepared.sha256,
      width: prepared.width,
      height: prepared.height,
      tokens: prepared.tokens,
    });
  }
  return { images, plan, linesFrom, note: describe(plan, lines) };
}
