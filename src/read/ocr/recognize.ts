import { decodeCtc, type DecodedLine } from './ctc.js';
import { segmentWords, type WordGapOptions } from './spaces.js';
import type { ModelRunner } from './models.js';
import type { RgbImage } from './pixels.js';

/**
 * Batched text-line recognition (PP-OCRv4 rec, CTC head). Strips are sorted by aspect ratio so a
 * batch holds strips of similar width and little of each input is padding.
 */

/** The recogniser's input height; strips are cropped to this height. */
export const REC_HEIGHT = 48;
/**
 * Default narrowest input width. PaddleOCR pads to 320, so a short strip ("1", "15.00") costs as
 * much as a long one; 96 read SROIE/FUNSD dev subsets as well (word F1 within ±0.006) for ~20 % less time,
 * and 48 (one strip height) reads the full dev splits as 96 does (char F1 within 0.0001) with ~4 % less
 * recogniser CPU on the receipts and forms, where a quarter of the strips are lone figures and short words.
 */
export const MIN_WIDTH = 48;
/** Widest input width: very long strips are squeezed rather than making one huge batch. */
const MAX_WIDTH = 3200;

/**
 * Most padded input columns per call. On CPU a batch costs more per strip than single calls once
 * strips are wide (measured with onnxruntime 1.30, 1 thread: 640-px strips cost 36 ms alone,
 * 52 ms each in batches of 8), so only short strips are batched.
 */
const MAX_BATCH_COLUMNS = 2048;

/** Widest strip in a batch, relative to its narrowest (plus a 64-px allowance for short strips). */
const WIDTH_SPREAD = 1.3;

/**
 * Widest input of a batch that the short-strip recogniser reads (see `RecognizeOptions.shortRunner`): about two
 * strip heights, i.e. lone figures, short words and 3–4 character amounts.
 */
export const SHORT_STRIP_WIDTH = 96;

export interface RecognizeOptions {
  /** Strips per model call. */
  batchSize: number;
  /**
   * Reads batches no wider than `SHORT_STRIP_WIDTH` instead of the main runner. The engine passes the float
   * recogniser here when the main one is int8: a strip of one to four characters has no neighbours for the
   * recogniser to lean on, and the int8 rounding tipped lone figures ("1" read "i", a slashed "0" below the
   * confidence floor). On the dev splits float for these batches read 2 SROIE and 5 FUNSD more 1–3 character
   * strips right and none fewer (word F1 0.5949 -> 0.5959 and 0.7495 -> 0.7499, char F1 not lower); the int8
   * model still reads everything wider. Framing changes did not help: padding with the strip's background
   * instead of grey (the model is trained with grey), margins around near-square boxes, or a 320-px input
   * each lost more lone figures than they gained.
   */
  shortRunner?: ModelRunner;
  /** Narrowest model input; narrower strips are padded to it. */
  minWidth?: number;
  /** Word-space rule options (see spaces.ts). */
  spaces?: WordGapOptions;
  signal?: AbortSignal;
}

/**
 * Packs strips (each `height` px high) into an NCHW tensor `width` wide, BGR, scaled to -1..1,
 * left-aligned and zero-padded. Wider strips are squeezed to fit.
 */
export function packStrips(strips: readonly RgbImage[], height: number, width: number): Float32Array {
  const plane = height * width;
  const out = new Float32Array(strips.length * 3 * plane);
  strips.forEach((s, n) => {
    const w = Math.min(width, s.width);
    const base = n * 3 * plane;
    for (let y = 0; y < height; y++) {
      const sy = Math.min(s.height - 1, Math.floor(((y + 0.5) * s.height) / height));
      for (let x = 0; x < w; x++) {
        const sx = s.width === w ? x : Math.min(s.width - 1, Math.floor(((x + 0.5) * s.width) / w));
        const si = (sy * s.width + sx) * 3;
        const di = y * width + x;
        out[base + di] = s.data[si + 2]! / 127.5 - 1; // B
        out[base + plane + di] = s.data[si + 1]! / 127.5 - 1; // G
        out[base + 2 * plane + di] = s.data[si]! / 127.5 - 1; // R
      }
    }
  });
  return out;
}

/**
 * Recognises text strips (already `REC_HEIGHT` px high, any width) and returns one decoded line per
 * strip, in the order given.
 */
export interface RecognizedStrip extends DecodedLine {
  /** Strip pixels covered by one model time step. */
  stepWidth: number;
}

export async function recognizeStrips(
  runner: ModelRunner,
  strips: readonly RgbImage[],
  dictionary: readonly string[],
  options: RecognizeOptions,
): Promise<RecognizedStrip[]> {
  const order = strips.map((_, i) => i).sort((a, b) => strips[a]!.width - strips[b]!.width);
  const results = new Array<RecognizedStrip>(strips.length);
  for (let at = 0; at < order.length;) {
    if (options.signal?.aborted) throw options.signal.reason;
    // A batch holds strips of similar width: it ends at the batch size or where the next strip is
    // much wider than the first, since every strip is padded to the widest.
    const first = strips[order[at]!]!.width;
    let end = at + 1;
    while (
      end < order.length &&
      end - at < options.batchSize &&
      strips[order[end]!]!.width <= first * WIDTH_SPREAD + 64 &&
      (end - at + 1) * strips[order[end]!]!.width <= MAX_BATCH_COLUMNS
    )
      end++;
    const ids = order.slice(at, end);
    at = end;
    const batch = ids.map((i) => strips[i]!);
    const widest = Math.max(...batch.map((s) => s.width));
    const width = Math.min(MAX_WIDTH, Math.max(options.minWidth ?? MIN_WIDTH, Math.ceil(widest / 8) * 8));
    const model = options.shortRunner && width <= SHORT_STRIP_WIDTH ? options.shortRunner : runner;
    const out = await model.run(packStrips(batch, REC_HEIGHT, width), [batch.length, 3, REC_HEIGHT, width]);
    const steps = out.dims[1]!;
    const got = out.dims[2]!;
    ids.forEach((id, k) => {
      const strip = strips[id]!;
      const line = decodeCtc(out.data, k * steps * got, steps, got, dictionary);
      // Squeezed strips (wider than MAX_WIDTH) cover more strip pixels per step.
      const stepWidth = (width / steps) * (strip.width / Math.min(width, strip.width));
      const text = segmentWords(line.chars, strip, stepWidth, options.spaces);
      results[id] = { ...line, text, stepWidth };
    });
  }
  return results;
}
