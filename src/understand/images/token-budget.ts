/**
 * The vision encoder's cost grows with pixels: Qwen3-VL cuts an image into 16-px patches and merges 2×2 of
 * them into one token, so one token covers 32×32 pixels. On the 2-core reference machine a 448×448 image
 * (196 tokens) takes ~23 s to encode and a 1024×1024 one (1 024 tokens) ~150 s (FACTS.md): the token budget
 * is the single biggest lever on latency, so every request has one.
 */
export const PIXELS_PER_TOKEN_SIDE = 32;

/** Budgets per task, in image tokens. Reading every word needs more pixels than answering one question. */
export const DEFAULT_TOKEN_BUDGET = {
  /** Faithful transcription: small print must stay legible. */
  extract: 1024,
  /** Gist of a page: layout and headings are enough. */
  summarize: 256,
  /** A question: the whole page coarse, plus a zoomed crop of the relevant region when OCR lines point to one. */
  ask: 256,
  /** Field extraction: numbers and names must be legible. */
  fields: 512,
} as const;

export type TaskName = keyof typeof DEFAULT_TOKEN_BUDGET;

export interface FittedSize {
  width: number;
  height: number;
  tokens: number;
}

/**
 * The largest size with the image's aspect ratio, both sides multiples of 32 px, and at most `maxTokens`
 * tokens. Images already within budget are not upscaled (beyond rounding to the 32-px grid).
 *
 * @example
 *   fitToTokenBudget(2480, 3508, 256); // { width: 416, height: 608, tokens: 247 }
 */
export function fitToTokenBudget(width: number, height: number, maxTokens: number): FittedSize {
  if (!(width > 0 && height > 0)) throw new RangeError(`Image size ${width}×${height} is empty.`);
  if (!(maxTokens >= 1)) throw new RangeError(`Token budget ${maxTokens} must be at least 1.`);
  const side = PIXELS_PER_TOKEN_SIDE;
  const scale = Math.min(1, Math.sqrt((maxTokens * side * side) / (width * height)));
  let cols = Math.max(1, Math.round((width * scale) / side));
  let rows = Math.max(1, Math.round((height * scale) / side));
  // Rounding up may overshoot the budget by a row or column: shrink the longer side until it fits.
  while (cols * rows > maxTokens) {
    if (cols >= rows && cols > 1) cols--;
    else if (rows > 1) rows--;
    else break;
  }
  return { width: cols * side, height: rows * side, tokens: cols * rows };
}
