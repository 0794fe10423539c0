import type { Config } from '../../config/config.js';
import sharp from 'sharp';
import { DocSightError } from '../../errors.js';
import { createOcrEngine, type OcrEngine } from '../../read/ocr/engine.js';
import type { RawImage } from '../../read/types.js';
import type { RecognizePage, RecognizedLine } from './evaluate.js';

/** How predicted lines are ordered before scoring CER. */
export type LineOrder = 'geometry' | 'engine';

/** The real engine behind the evaluator's RecognizePage interface. */
export interface EngineReader {
  recognizePage: RecognizePage;
  /** Seconds spent loading the models (not counted in seconds per page). */
  loadSeconds: number;
  close(): Promise<void>;
}

/**
 * Decodes an image file to 8-bit pixels as the intake does: EXIF orientation applied, alpha dropped.
 */
export async function decodeImageFile(path: string): Promise<RawImage> {
  try {
    const { data, info } = await sharp(path)
      .rotate()
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels as 1 | 3 };
  } catch (err) {
    throw new DocSightError('CORRUPT_FILE', `${path}: cannot decode the image (${(err as Error).message}).`, {
      cause: err,
    });
  }
}

/**
 * Loads DocSight's OCR engine once and reads each page with it; the time per page includes decoding.
 *
 * `order: 'geometry'` returns lines with boxes, which the evaluator orders by the same geometry as the GT
 * (fair for GT that lists lines or words in no particular order); `'engine'` keeps the engine's reading order
 * (for GT written in reading order, such as the generated Chinese pages, some of them skewed).
 */
export async function openEngineReader(config: Config, order: LineOrder = 'geometry'): Promise<EngineReader> {
  const started = performance.now();
  const engine: OcrEngine = await createOcrEngine(config.ocr);
  const loadSeconds = (performance.now() - started) / 1000;
  return {
    loadSeconds,
    async recognizePage(imagePath) {
      const result = await engine.recognize(await decodeImageFile(imagePath));
      return result.lines.map((line): RecognizedLine =>
        order === 'geometry' ? { text: line.text, box: line.box } : line.text,
      );
    },
    close: () => engine.close(),
  };
}
