/**
 * CTC greedy decoding for the PP-OCR recogniser, plus word-space restoration.
 *
 * Classes: 0 = CTC blank, 1..N = the dictionary, N+1 = space. The model often swallows spaces
 * ("UserManual"), so we keep the time step of every character and put spaces back where the gap
 * between neighbours is wider than their expected pitch.
 */

export interface DecodedChar {
  char: string;
  /** First and last time step (one step ≈ 8 input pixels) where the model emitted this character. */
  start: number;
  end: number;
  /** Probability-weighted mean time step of the character (sub-step precision for gap measurement). */
  centre: number;
  /** Highest class probability over its steps. */
  prob: number;
  /** Highest probability of the space class between the previous character and this one. */
  spaceBefore: number;
}

export interface DecodedLine {
  text: string;
  /** Mean of the characters' probabilities; 0 for an empty line. */
  confidence: number;
  chars: DecodedChar[];
}

export interface SpaceOptions {
  /** Insert a space when the gap exceeds the expected pitch by this many ems (a space is ~0.25–0.33 em). */
  gapEm?: number;
  /** Between a CJK character and a Latin one the bar is higher: CJK text rarely puts spaces there. */
  cjkGapEm?: number;
  /** Also insert a space when the model's own space class reaches this probability between two characters. */
  spaceProb?: number;
}

/** Ideographs, kana, hangul and full-width forms: no spaces between these. */
export function isCjk(ch: string): boolean {
  const c = ch.codePointAt(0) ?? 0;
  return (
    (c >= 0x2e80 && c <= 0x9fff) ||
    (c >= 0xac00 && c <= 0xd7af) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xff00 && c <= 0xffef) ||
    (c >= 0x20000 && c <= 0x2fa1f)
  );
}

/** Advance widths in ems of a typical sans-serif face, by character class. */
const NARROW = new Set([...'.,:;\'!|`()[]{}"/\\-']);
const THIN = new Set([...'iljIft1r']);

/** Nominal advance of a character in ems: what "no gap" looks like between it and its neighbour. */
export function nominalWidth(ch: string): number {
  if (isCjk(ch)) return 1;
  if (NARROW.has(ch)) return 0.3;
  if (THIN.has(ch)) return 0.3;
  if (ch === 'M' || ch === 'W' || ch === 'm' || ch === '@' || ch === '%') return 0.85;
  if (ch === 'w') return 0.72;
  if (ch >= 'A' && ch <= 'Z') return 0.68;
  return 0.55;
}

/**
 * Greedy CTC decoding of one line. `probs` holds `steps`×`classes` softmax values starting at `offset`.
 *
 * @example
 *   const line = decodeCtc(out.data, 0, 40, dict.length + 2, dict);
 *   line.text; // "Total 12.50"
 */
export function decodeCtc(
  probs: Float32Array,
  offset: number,
  steps: number,
  classes: number,
  dictionary: readonly string[],
  spaces: SpaceOptions = {},
): DecodedLine {
  const spaceClass = dictionary.length + 1;
  const chars: DecodedChar[] = [];
  const classIds: number[] = [];
  let prev = 0;
  let spaceMax = 0;
  for (let t = 0; t < steps; t++) {
    const base = offset + t * classes;
    let best = 0;
    let bestP = probs[base]!;
    for (let k = 1; k < classes; k++) {
      const p = probs[base + k]!;
      if (p > bestP) {
        bestP = p;
        best = k;
      }
    }
    if (best !== 0 && best === prev) {
      const last = chars[chars.length - 1]!;
      last.end = t;
      last.prob = Math.max(last.prob, bestP);
    } else if (best !== 0) {
      const ch = best === spaceClass ? ' ' : (dictionary[best - 1] ?? '');
      chars.push({ char: ch, start: t, end: t, centre: t, prob: bestP, spaceBefore: spaceMax });
      classIds.push(best);
      spaceMax = 0;
    } else if (spaceClass < classes) {
      spaceMax = Math.max(spaceMax, probs[base + spaceClass]!);
    }
    prev = best;
  }
  // Centre of each character: its class probability weighted over its steps and one step either side,
  // which locates a one-step spike to a fraction of a step.
  chars.forEach((c, i) => {
    const k = classIds[i]!;
    let sum = 0;
    let weighted = 0;
    for (let t = Math.max(0, c.start - 1); t <= Math.min(steps - 1, c.end + 1); t++) {
      const p = probs[offset + t * classes + k]!;
      sum += p;
      weighted += p * t;
    }
    if (sum > 0) c.centre = weighted / sum;
  });
  const confidence = chars.length === 0 ? 0 : chars.reduce((s, c) => s + c.prob, 0) / chars.length;
  return { text: joinWithSpaces(chars, spaces), confidence, chars };
}

/**
 * How much wider than expected the distance between each character and the one before it is, in
 * ems (NaN where either is a space, or for the first character). The em (time steps per em) is
 * estimated from the line itself: the median of centre distances divided by nominal advances.
 */
export function gapExcess(chars: readonly DecodedChar[]): number[] {
  const ratios: number[] = [];
  for (let i = 1; i < chars.length; i++) {
    const a = chars[i - 1]!;
    const b = chars[i]!;
    if (a.char === ' ' || b.char === ' ') continue;
    ratios.push((b.centre - a.centre) / ((nominalWidth(a.char) + nominalWidth(b.char)) / 2));
  }
  ratios.sort((x, y) => x - y);
  // Fallback: the recogniser sees 48-px-high strips and emits one step per 8 px; an em is ~36 px.
  const em = ratios.length >= 3 ? ratios[Math.floor(ratios.length / 2)]! : 4.5;
  return chars.map((b, i) => {
    const a = chars[i - 1];
    if (!a || a.char === ' ' || b.char === ' ') return NaN;
    const expected = ((nominalWidth(a.char) + nominalWidth(b.char)) / 2) * em;
    return (b.centre - a.centre - expected) / em;
  });
}

/**
 * Joins decoded characters, restoring spaces from timing alone: where the model put one, where its
 * space class was likely, or where the gap exceeds the expected pitch (see `gapExcess`).
 */
export function joinWithSpaces(chars: readonly DecodedChar[], options: SpaceOptions = {}): string {
  const gapEm = options.gapEm ?? 0.45;
  const cjkGapEm = options.cjkGapEm ?? 0.9;
  const spaceProb = options.spaceProb ?? 0.25;
  const excess = gapExcess(chars);
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const b = chars[i]!;
    const a = chars[i - 1];
    if (a && a.char !== ' ' && b.char !== ' ') {
      const aCjk = isCjk(a.char);
      const bCjk = isCjk(b.char);
      if (!(aCjk && bCjk)) {
        const bar = aCjk || bCjk ? cjkGapEm : gapEm;
        if (excess[i]! > bar || (!aCjk && !bCjk && b.spaceBefore >= spaceProb)) out += ' ';
      }
    }
    out += b.char;
  }
  return out.replace(/\s+/g, ' ').trim();
}
