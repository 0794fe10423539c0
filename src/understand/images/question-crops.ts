import { queryTerms, searchTerms } from '../../text/search-terms.js';
import type { Quad, TextLine } from '../../read/types.js';
import type { Region } from './prepare-image.js';
import { fitToTokenBudget, PIXELS_PER_TOKEN_SIDE } from './token-budget.js';

/**
 * Chooses where to zoom for a question: the OCR lines that share the question's terms, the region around
 * them (with neighbouring lines for context), and the scale at which that region makes its print legible.
 *
 * Why: a page squeezed into the ask budget (256 tokens, ~448 px on the long side) renders 10-pt print at
 * 6–8 px, below what the vision encoder reads (its patches are 16 px; text under ~12 px is a blur). One
 * extra image of the relevant lines at ~24 px text costs fewer tokens than sending the whole page at a
 * legible scale (an A4 page at 150 dpi would need ~2 000 tokens). Pure and deterministic: no pixels here,
 * only boxes, so the choice can be tested line by line (cropping is done by prepareImage).
 */

/** Below this rendered text height (px) the encoder cannot read print reliably: zoom. */
export const MIN_LEGIBLE_TEXT_PX = 12;
/** The text height a crop aims for: comfortably legible, without spending tokens on larger print. */
export const TARGET_TEXT_PX = 24;
/** Crops may enlarge small print (a low-resolution photo) at most this much; beyond it there is no detail. */
export const MAX_UPSCALE = 2;
/** A crop must make its text at least this much larger than the page does, or it costs without helping. */
const MIN_GAIN = 1.25;

export interface ZoomOptions {
  /** Token budget of the whole page image (the task's budget): decides how small its print renders. */
  pageBudget: number;
  /**
   * Most tokens one crop may take. Default 256 (the ask budget again): enough for ~5 lines across a page at
   * 24 px; a crop at most doubles the image cost of a question.
   */
  cropBudget?: number;
  /** Most crops per page. Default 1: every crop costs encoder time; a second one only when asked for. */
  maxCrops?: number;
  /** 'auto': only where the print is too small at the page's budget; 'force': wherever lines match. */
  mode?: 'auto' | 'force';
  /** Lines read with less confidence than this are not matched (their text is likely wrong). */
  minConfidence?: number;
}

export const DEFAULT_CROP_BUDGET = 256;
export const DEFAULT_MAX_CROPS = 1;

export interface PlannedCrop {
  /** In pixels of the page image. */
  region: Region;
  /** Indices (into the given lines) of the lines that matched the question, best first. */
  matched: number[];
  /** Indices of every line inside the region (matched and context), in the given order. */
  lines: number[];
  /** Sum of the matched terms' weights of the best line. */
  score: number;
  /** Median height (px, page image) of the matched lines' boxes: the print size. */
  textHeight: number;
  /** That height as the page image renders it at `pageBudget`. */
  pageTextPx: number;
  /** Scale from page pixels to crop pixels, and the crop's size and tokens. */
  scale: number;
  width: number;
  height: number;
  tokens: number;
  /** The text height in the crop. */
  cropTextPx: number;
}

export type CropPlan =
  | { crops: PlannedCrop[]; reason: 'zoom'; terms: string[] }
  | { crops: []; reason: 'no-terms' | 'no-match' | 'legible' | 'no-gain'; terms: string[] };

/**
 * Question words that carry no content; dropped from the query as English stop words are. Chinese search
 * mode also emits single characters (是, 的) that would match almost every line.
 */
const ZH_QUESTION_WORDS = new Set(
  '是 的 了 吗 呢 吧 啊 在 有 和 与 及 或 请 请问 什么 多少 几 哪 哪个 哪些 哪里 哪儿 谁 怎么 怎样 如何 为什么 为何 何时 时候 这 那 这个 那个 这份 该 本 其 中 上 下 我 你 他 它 们 一下 告诉 给出 说明 写 多'.split(
    ' ',
  ),
);

/**
 * English question words, as index terms (stemmed by the same splitter). queryTerms keeps its stop words
 * when a query has nothing else ("what is it?"); a crop needs content words, so they always go here.
 */
let enQuestionWords: Set<string> | undefined;
const EN_QUESTION_WORDS =
  'a an and any are as at be by can could do does did for from give how i in is it me many much of on or ' +
  'please say show tell that the there this to was were what when where which who whom whose why will with';

/** The distinct content terms of a question: the library's zh/en terms, without question words. */
export function questionTerms(question: string): string[] {
  enQuestionWords ??= new Set(searchTerms(EN_QUESTION_WORDS));
  return queryTerms(question).filter((t) => !ZH_QUESTION_WORDS.has(t) && !enQuestionWords!.has(t));
}

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

function bounds(q: Quad): Box {
  const xs = [q[0], q[2], q[4], q[6]];
  const ys = [q[1], q[3], q[5], q[7]];
  return { left: Math.min(...xs), top: Math.min(...ys), right: Math.max(...xs), bottom: Math.max(...ys) };
}

/** The text height of a line: its box's left and right edges (corner 0→3, 1→2), so skew does not inflate it. */
function lineHeight(q: Quad): number {
  const left = Math.hypot(q[6] - q[0], q[7] - q[1]);
  const right = Math.hypot(q[4] - q[2], q[5] - q[3]);
  return (left + right) / 2;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const union = (a: Box, b: Box): Box => ({
  left: Math.min(a.left, b.left),
  top: Math.min(a.top, b.top),
  right: Math.max(a.right, b.right),
  bottom: Math.max(a.bottom, b.bottom),
});

/** Gaps between two boxes along each axis (0 where they overlap). */
function gaps(a: Box, b: Box): { x: number; y: number } {
  return {
    x: Math.max(0, Math.max(a.left, b.left) - Math.min(a.right, b.right)),
    y: Math.max(0, Math.max(a.top, b.top) - Math.min(a.bottom, b.bottom)),
  };
}

/**
 * Scores every line by the question terms it contains, each weighted by how rare it is on the page
 * (ln(1 + lines / lines containing it)): "total" on a receipt's one total line outweighs "RM" on every line.
 */
export function scoreLines(
  terms: string[],
  lines: Pick<TextLine, 'text' | 'confidence'>[],
  minConfidence = 0.5,
): number[] {
  const wanted = new Set(terms);
  const lineTerms = lines.map((l) =>
    l.confidence >= minConfidence
      ? new Set(searchTerms(l.text).filter((t) => wanted.has(t)))
      : new Set<string>(),
  );
  const df = new Map<string, number>();
  for (const set of lineTerms) for (const t of set) df.set(t, (df.get(t) ?? 0) + 1);
  return lineTerms.map((set) => {
    let score = 0;
    for (const t of set) score += Math.log(1 + lines.length / df.get(t)!);
    return score;
  });
}

/** Page pixels → pixels of the page image as the encoder gets it at `budget` tokens. */
export function pageScale(page: { width: number; height: number }, budget: number): number {
  const fitted = fitToTokenBudget(page.width, page.height, budget);
  return Math.min(fitted.width / page.width, fitted.height / page.height);
}

interface Group {
  box: Box;
  matched: number[];
  score: number;
  textHeight: number;
}

/** The region of a group: its lines plus their neighbours (the label beside a value, the line under a heading). */
function withContext(group: Group, boxes: Box[]): { box: Box; lines: number[] } {
  const h = group.textHeight;
  let box = group.box;
  const lines: number[] = [];
  boxes.forEach((b, i) => {
    const g = gaps(group.box, b);
    const sameRow =
      g.y === 0 && Math.min(b.bottom, group.box.bottom) - Math.max(b.top, group.box.top) > h / 2;
    // On the same row: a value far to the right of its label (an amount at the right margin of an invoice
    // line): up to 40 text heights, about the width of a page of body text.
    // Above or below: the previous and next lines of the same column.
    const near = sameRow ? g.x <= 40 * h : g.y <= 1.5 * h && g.x <= 2 * h;
    if (near) {
      lines.push(i);
      box = union(box, b);
    }
  });
  return { box, lines };
}

/**
 * Scale and size of a crop of `box` at most `budget` tokens, aiming at TARGET_TEXT_PX for `textHeight`.
 * The size is whole 32-px tiles; `box` is later widened to that size's aspect ratio so the scale is the same
 * on both axes (prepareImage stretches to the size it is given).
 */
function cropSize(box: Box, textHeight: number, budget: number, minScale = 0) {
  const side = PIXELS_PER_TOKEN_SIDE;
  const w = Math.max(1, box.right - box.left);
  const h = Math.max(1, box.bottom - box.top);
  // Never below `minScale` (the page's own scale): a forced crop of large print must not shrink it.
  const want = Math.min(MAX_UPSCALE, Math.max(TARGET_TEXT_PX / textHeight, minScale));
  // Rounding up keeps the target scale (rounding down would shrink a 2-tile-high crop by a quarter).
  const cols = Math.ceil((w * want) / side);
  const rows = Math.ceil((h * want) / side);
  if (cols * rows <= budget)
    return { width: cols * side, height: rows * side, tokens: cols * rows, scale: want };
  const fitted = fitToTokenBudget(w, h, budget);
  return { ...fitted, scale: Math.min(fitted.width / w, fitted.height / h) };
}

/** Widens `box` around its centre to `width`×`height`, shifted to stay on the page (clamped if larger). */
function growTo(box: Box, width: number, height: number, page: { width: number; height: number }): Region {
  const axis = (lo: number, hi: number, want: number, limit: number): [number, number] => {
    const size = Math.min(limit, Math.max(hi - lo, want));
    let start = (lo + hi) / 2 - size / 2;
    start = Math.max(0, Math.min(limit - size, start));
    const a = Math.floor(start);
    return [a, Math.min(limit, Math.ceil(start + size)) - a];
  };
  const [left, w] = axis(box.left, box.right, width, page.width);
  const [top, h] = axis(box.top, box.bottom, height, page.height);
  return { left, top, width: w, height: h };
}

/**
 * Plans the zoomed crops for a question over one page's OCR lines (boxes in pixels of the page image).
 *
 * @example
 *   const plan = planQuestionCrops('What is the total?', page.lines, { width: 1240, height: 1754 }, { pageBudget: 256 });
 *   if (plan.reason === 'zoom') for (const c of plan.crops) await prepareImage(png, { region: c.region, ... });
 */
export function planQuestionCrops(
  question: string,
  lines: Pick<TextLine, 'text' | 'box' | 'confidence'>[],
  page: { width: number; height: number },
  options: ZoomOptions,
): CropPlan {
  const terms = questionTerms(question);
  if (terms.length === 0) return { crops: [], reason: 'no-terms', terms };
  const scores = scoreLines(terms, lines, options.minConfidence);
  const order = scores
    .map((score, i) => ({ score, i }))
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || a.i - b.i);
  if (order.length === 0) return { crops: [], reason: 'no-match', terms };

  const best = order[0]!.score;
  const boxes = lines.map((l) => bounds(l.box));
  const heights = lines.map((l) => lineHeight(l.box));
  const cropBudget = options.cropBudget ?? DEFAULT_CROP_BUDGET;
  const maxCrops = options.maxCrops ?? DEFAULT_MAX_CROPS;

  // Lines scoring at least half the best are candidates; each starts a group, and groups that are close
  // (within two text heights) merge while the merged region still fits one crop at a legible scale.
  const groups: Group[] = order
    .filter((s) => s.score >= best / 2)
    .map((s) => ({ box: boxes[s.i]!, matched: [s.i], score: s.score, textHeight: heights[s.i]! }));
  for (let merged = true; merged;) {
    merged = false;
    outer: for (let a = 0; a < groups.length; a++) {
      for (let b = a + 1; b < groups.length; b++) {
        const A = groups[a]!;
        const B = groups[b]!;
        const g = gaps(A.box, B.box);
        const h = Math.max(A.textHeight, B.textHeight);
        if (g.x > 2 * h || g.y > 2 * h) continue;
        const matched = [...A.matched, ...B.matched];
        const textHeight = median(matched.map((i) => heights[i]!));
        const joined: Group = {
          box: union(A.box, B.box),
          matched,
          score: Math.max(A.score, B.score),
          textHeight,
        };
        if (cropSize(joined.box, textHeight, cropBudget).scale * textHeight < MIN_LEGIBLE_TEXT_PX) continue;
        groups.splice(b, 1);
        groups[a] = joined;
        merged = true;
        break outer;
      }
    }
  }

  const toPage = pageScale(page, options.pageBudget);
  const crops: PlannedCrop[] = [];
  let legible = 0;
  // Best first; a match the page already shows legibly needs no crop, so the slot goes to the next one
  // (a question about "the invoice number" matches the large INVOICE heading and the small "Invoice No." line).
  for (const group of groups) {
    if (crops.length >= maxCrops) break;
    const pageTextPx = group.textHeight * toPage;
    if (options.mode !== 'force' && pageTextPx >= MIN_LEGIBLE_TEXT_PX) {
      legible++;
      continue;
    }
    const context = withContext(group, boxes);
    const margin = Math.max(8, group.textHeight);
    const box = {
      left: Math.max(0, context.box.left - margin),
      top: Math.max(0, context.box.top - margin),
      right: Math.min(page.width, context.box.right + margin),
      bottom: Math.min(page.height, context.box.bottom + margin),
    };
    const size = cropSize(box, group.textHeight, cropBudget, toPage);
    const cropTextPx = group.textHeight * size.scale;
    if (options.mode !== 'force' && cropTextPx < pageTextPx * MIN_GAIN) continue;
    crops.push({
      region: growTo(box, size.width / size.scale, size.height / size.scale, page),
      matched: group.matched,
      lines: context.lines,
      score: group.score,
      textHeight: group.textHeight,
      pageTextPx,
      scale: size.scale,
      width: size.width,
      height: size.height,
      tokens: size.tokens,
      cropTextPx,
    });
  }
  if (crops.length > 0) return { crops, reason: 'zoom', terms };
  return { crops: [], reason: legible > 0 ? 'legible' : 'no-gain', terms };
}
