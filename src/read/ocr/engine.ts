import { join } from 'node:path';
import type { Config } from '../../config/config.js';
import { DocSightError } from '../../errors.js';
import type { Quad, RawImage, TextLine } from '../types.js';
import { findCheckBoxes, placeCheckBoxes } from './checkboxes.js';
import { cropTextLine } from './crop.js';
import { detectText, medianTextHeight, type DetectedBox } from './detect.js';
import { hasExactInt8Kernels } from './int8-support.js';
import { layoutLines, type LayoutItem } from './layout.js';
import {
  assertModelFiles,
  defaultModelPaths,
  loadDictionary,
  loadModel,
  type OcrModelPaths,
} from './models.js';
import {
  defaultModelCacheDir,
  modelSource,
  preparedInt8Model,
  preparedModel,
  type PreparedModel,
} from './model-cache.js';
import { classifyStrips, mostlyUpsideDown, sampleForVote, tallShare, type Rotation } from './orientation.js';
import {
  assertRawImage,
  normaliseContrast,
  rotateRgb,
  toRgb,
  unrotatePoint,
  type RgbImage,
} from './pixels.js';
import { recognizeStrips, REC_HEIGHT } from './recognize.js';
import { cropStretched, DEFAULT_REREAD, rereadDoubtfulLines, type RereadOptions } from './reread.js';
import type { WordGapOptions } from './spaces.js';

export interface OcrResult {
  width: number;
  height: number;
  /** Clockwise degrees the page was turned by to read it upright. */
  rotation: 0 | 90 | 180 | 270;
  lines: TextLine[];
}

export interface OcrEngine {
  /** Boxes are in the pixel coordinates of `image` as given; lines in reading order of the upright page. */
  recognize(image: RawImage, options?: { signal?: AbortSignal }): Promise<OcrResult>;
  close(): Promise<void>;
}

/** Knobs beyond the user configuration, for tests and evaluation. */
export interface OcrEngineExtras {
  models?: Partial<OcrModelPaths>;
  spaces?: WordGapOptions;
  /** DB post-processing overrides (see detect.ts). */
  detect?: { threshold?: number; boxThreshold?: number; unclipRatio?: number };
  /** Small pages are scaled up for detection at most this much (see detect.ts). */
  detectUpscale?: number;
  /** Long side of the quick first detection pass on large pages (see detect.ts; ≥ detectMaxSide: none). */
  detectQuickSide?: number;
  /** Narrowest recogniser input width (see recognize.ts). */
  recMinWidth?: number;
  /** Stretch each line strip's contrast before recognition (default false). */
  stripContrast?: boolean;
  /**
   * Second reading of doubtful lines (see reread.ts; default `DEFAULT_REREAD`, `{ below: 0 }` turns it off):
   * lines with a character below `below` are read again from a crop `stretch` times as wide, and the second
   * reading is kept where it is more confident by `margin`.
   */
  reread?: Partial<RereadOptions>;
  /**
   * When to run the 0/180 classifier on every line: `'mixed'` (default) only on pages whose orientation vote
   * saw lines both ways up, `'always'`, or `'never'`.
   */
  lineOrientation?: 'mixed' | 'always' | 'never';
  /** Find form check-boxes by their shape and write them as ☐ / ☑ (see checkboxes.ts; default true). */
  checkBoxes?: boolean;
  /**
   * Run the folded models (fold-graph.ts: the same arithmetic, ~20 % less CPU; default true), cached in
   * `modelCacheDir` (default node_modules/.cache/docsight-ocr).
   */
  foldModels?: boolean;
  modelCacheDir?: string;
  /** Write onnxruntime's per-node traces to `<dir>/{det,rec,rec-short,cls}_*.json` (profiling only; slows every run). */
  profileDir?: string;
  /** Called after each stage of a page with the process CPU and wall seconds it took (for profiling). */
  onStage?: (stage: OcrStage, cpuSeconds: number, wallSeconds: number) => void;
}

/** The stages of reading a page, in order (see `onStage`). */
export type OcrStage =
  'prepare' | 'detect' | 'page-orientation' | 'crop' | 'line-orientation' | 'recognize' | 'layout';

/** A page whose boxes are mostly tall (by length) is lying on its side. */
const SIDEWAYS_SHARE = 0.5;
/** Lines sampled for the page-orientation vote. */
const VOTE_SAMPLE = 12;
/**
 * A sampled line whose vote goes against the page's at this probability or more shows that the page holds
 * lines both ways up; only then is every line classified (the same bar as the page vote's, see orientation.ts).
 */
const DISSENT_PROB = 0.8;
/**
 * A line is flipped only when the classifier is this sure it is upside down. At 0.9 (PaddleOCR's
 * default) it flipped upright lines of noisy scans: FUNSD dev subset word F1 0.778 → 0.787 at 0.99.
 */
const LINE_FLIP_PROB = 0.99;

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted)
    throw new DocSightError('CANCELLED', 'OCR was cancelled by the caller.', { cause: signal.reason });
}

/** Maps a quad on the rotated page back to the page as given, keeping corners clockwise from the upright top-left. */
function unrotateQuad(q: Quad, rotation: Rotation, width: number, height: number): Quad {
  const out: number[] = [];
  for (let i = 0; i < 4; i++) out.push(...unrotatePoint(q[2 * i]!, q[2 * i + 1]!, rotation, width, height));
  return out as Quad;
}

/** Rotates a quad found on an image by `rotation` clockwise (image size before rotation `width`×`height`). */
function rotateQuad(q: Quad, rotation: Rotation, width: number, height: number): Quad {
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    const x = q[2 * i]!;
    const y = q[2 * i + 1]!;
    if (rotation === 90) out.push(height - y, x);
    else if (rotation === 180) out.push(width - x, height - y);
    else if (rotation === 270) out.push(y, width - x);
    else out.push(x, y);
  }
  // Corner 0 must stay the top-left of the upright text: shift the cycle with the turn.
  const shift = rotation / 90;
  const rolled: number[] = [];
  for (let i = 0; i < 4; i++)
    rolled.push(out[2 * ((i + 4 - shift) % 4)]!, out[2 * ((i + 4 - shift) % 4) + 1]!);
  return rolled as Quad;
}

/**
 * Loads the PP-OCRv4 models once and returns an engine that reads pages.
 *
 * @example
 *   const ocr = await createOcrEngine(config.ocr);
 *   const { lines } = await ocr.recognize({ data, width, height, channels: 3 });
 *   await ocr.close();
 */
export async function createOcrEngine(
  options: Config['ocr'],
  extras: OcrEngineExtras = {},
): Promise<OcrEngine> {
  const paths: OcrModelPaths = { ...defaultModelPaths(), ...extras.models };
  assertModelFiles(paths);
  const dictionary = loadDictionary(paths.dictionary);
  const profile = (name: string) =>
    extras.profileDir === undefined ? {} : { profilePrefix: join(extras.profileDir, name) };
  const cacheDir = extras.modelCacheDir ?? defaultModelCacheDir();
  const prepare = (path: string): PreparedModel =>
    extras.foldModels === false ? { path } : preparedModel(path, cacheDir);
  // int8 convolutions only for the recogniser, only on the folded path (precision is a config key), and only
  // where the CPU's int8 kernels do not saturate (int8-support.ts); elsewhere the float model.
  const floatRecModel = prepare(paths.recognition);
  const recModel =
    extras.foldModels !== false && options.precision === 'int8' && hasExactInt8Kernels()
      ? preparedInt8Model(paths.recognition, cacheDir)
      : floatRecModel;
  // With an int8 recogniser, the shortest strips (lone figures, short words) are read by the float one, which
  // reads them better (see `shortRunner` in recognize.ts); they are a small share of the recogniser's work.
  const int8Rec = modelSource(recModel) !== modelSource(floatRecModel);
  const [det, rec, cls, shortRec] = await Promise.all([
    loadModel(prepare(paths.detection), options.threads, profile('det')),
    loadModel(recModel, options.threads, profile('rec')),
    loadModel(prepare(paths.classifier), options.threads, profile('cls')),
    int8Rec ? loadModel(floatRecModel, options.threads, profile('rec-short')) : undefined,
  ]);
  /** Runs one stage, reporting its CPU (all threads of the process) and wall time to `onStage`. */
  async function stage<T>(name: OcrStage, run: () => T | Promise<T>): Promise<T> {
    if (!extras.onStage) return run();
    const cpu = process.cpuUsage();
    const started = performance.now();
    const result = await run();
    const used = process.cpuUsage(cpu);
    extras.onStage(name, (used.user + used.system) / 1e6, (performance.now() - started) / 1000);
    return result;
  }
  const closeAll = async (): Promise<void> => {
    await Promise.all([det.close(), rec.close(), cls.close(), shortRec?.close()]);
  };
  // The recogniser's classes must be blank + dictionary + space, or every decoded character is shifted.
  const probe = await rec.run(new Float32Array(3 * REC_HEIGHT * 320), [1, 3, REC_HEIGHT, 320]);
  if (probe.dims[2] !== dictionary.length + 2) {
    await closeAll();
    throw new DocSightError(
      'MODEL_INVALID',
      `Recognition model has ${String(probe.dims[2])} classes but the dictionary ${paths.dictionary} has ${dictionary.length} entries (expected ${dictionary.length + 2}). Use the dictionary that belongs to the model.`,
    );
  }
  let closed = false;

  async function readUpright(
    page: RgbImage,
    boxes: DetectedBox[],
    mixed: boolean,
    signal?: AbortSignal,
  ): Promise<LayoutItem[]> {
    const strips = await stage('crop', () =>
      boxes.map((b) => {
        const strip = cropTextLine(page, b.quad, REC_HEIGHT);
        return extras.stripContrast ? normaliseContrast(strip, 255) : strip;
      }),
    );
    throwIfAborted(signal);
    // The per-line classifier costs ~6 % of a receipt's or form's CPU and on SROIE/FUNSD dev changed nothing
    // on pages whose sampled lines all agreed, so it runs only where the vote saw lines both ways up. The price:
    // a lone upside-down line among upright ones is turned only if it was among the sampled (longest) lines.
    const lineOrientation = extras.lineOrientation ?? 'mixed';
    const classify = lineOrientation === 'always' || (lineOrientation === 'mixed' && mixed);
    const flipped = new Set<number>();
    if (classify && strips.length > 0) {
      const votes = await stage('line-orientation', () => classifyStrips(cls, strips, options.batchSize));
      votes.forEach((v, i) => {
        if (v.angle === 180 && v.prob >= LINE_FLIP_PROB) {
          strips[i] = rotateRgb(strips[i]!, 180);
          flipped.add(i);
        }
      });
    }
    throwIfAborted(signal);
    const read = (batch: readonly RgbImage[]) =>
      recognizeStrips(rec, batch, dictionary, {
        batchSize: options.batchSize,
        minWidth: extras.recMinWidth,
        shortRunner: shortRec,
        spaces: extras.spaces,
        signal,
      });
    const reread = { ...DEFAULT_REREAD, ...extras.reread };
    const decoded = await stage('recognize', async () => {
      const first = await read(strips);
      if (reread.below <= 0) return first;
      // The second crop is prepared as the first was: same contrast option, same half-turn.
      const secondStrip = (i: number): RgbImage => {
        let strip = cropStretched(page, boxes[i]!.quad, REC_HEIGHT, reread.stretch);
        if (extras.stripContrast) strip = normaliseContrast(strip, 255);
        return flipped.has(i) ? rotateRgb(strip, 180) : strip;
      };
      return rereadDoubtfulLines(first, secondStrip, read, {
        below: reread.below,
        margin: reread.margin,
        minConfidence: options.minConfidence,
      });
    });
    const items: LayoutItem[] = [];
    decoded.forEach((d, i) => {
      if (d.text.length === 0 || d.confidence < options.minConfidence) return;
      items.push({ text: d.text, quad: boxes[i]!.quad, confidence: d.confidence });
    });
    if (extras.checkBoxes === false) return items;
    const checkBoxes = findCheckBoxes(page, medianTextHeight(boxes));
    return placeCheckBoxes(items, checkBoxes);
  }

  /**
   * The page's turn, and whether its lines may lie both ways up: a sideways page (its lines are detected
   * again) or a sampled line voting confidently against the rest.
   */
  async function findRotation(
    page: RgbImage,
    boxes: DetectedBox[],
  ): Promise<{ rotation: Rotation; mixed: boolean }> {
    const quads = boxes.map((b) => b.quad);
    if (quads.length === 0) return { rotation: 0, mixed: false };
    const sideways = tallShare(quads) > SIDEWAYS_SHARE;
    const sample = sampleForVote(sideways ? quads.filter((q) => tallShare([q]) === 1) : quads, VOTE_SAMPLE);
    // Tall strips are cut turned counter-clockwise: upright strips mean the page needs a 270° turn.
    const votes = await classifyStrips(
      cls,
      sample.map((q) => cropTextLine(page, q, REC_HEIGHT)),
      options.batchSize,
    );
    const flipped = mostlyUpsideDown(votes);
    if (sideways) return { rotation: flipped ? 90 : 270, mixed: true };
    const dissent = votes.some((v) => v.prob >= DISSENT_PROB && (v.angle === 180) !== flipped);
    return { rotation: flipped ? 180 : 0, mixed: dissent };
  }

  return {
    async recognize(image, callOptions = {}) {
      if (closed) throw new DocSightError('ENGINE_FAILED', 'The OCR engine was closed; create a new one.');
      const signal = callOptions.signal;
      assertRawImage(image);
      throwIfAborted(signal);
      const page = await stage('prepare', () => normaliseContrast(toRgb(image)));
      const detectOptions = {
        ...extras.detect,
        maxSide: options.detectMaxSide,
        maxUpscale: extras.detectUpscale,
        quickSide: extras.detectQuickSide,
      };
      let boxes = await stage('detect', () => detectText(det, page, detectOptions));
      throwIfAborted(signal);
      const { rotation, mixed } = await stage('page-orientation', () => findRotation(page, boxes));
      let upright = page;
      if (rotation !== 0) {
        upright = rotateRgb(page, rotation);
        // Boxes of a half-turned page map exactly; a sideways page is detected again upright,
        // since the detector splits vertical lines into pieces.
        boxes =
          rotation === 180
            ? boxes.map((b) => ({ ...b, quad: rotateQuad(b.quad, 180, page.width, page.height) }))
            : await stage('detect', () => detectText(det, upright, detectOptions));
      }
      throwIfAborted(signal);
      const items = await readUpright(upright, boxes, mixed, signal);
      const laidOut = await stage('layout', () => layoutLines(items));
      const lines: TextLine[] = laidOut.map((l) => ({
        text: l.text,
        box: unrotateQuad(l.quad, rotation, image.width, image.height),
        confidence: l.confidence,
        block: l.block,
      }));
      return { width: image.width, height: image.height, rotation, lines };
    },
    async close() {
      if (closed) return;
      closed = true;
      await closeAll();
    },
  };
}
