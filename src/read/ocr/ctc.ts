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
  /** Highest class probability over those steps. */
  prob: number;
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

const NARROW = new Set([...'.,:;\'!|`ilI()[]{}-"/\\1ftjr']);

/** Nominal advance of a character in ems: what "no gap" looks like between it and its neighbour. */
function nominalWidth(ch: string): number {
  if (isCjk(ch)) return 1;
  if (NARROW.has(ch)) return 0.35;
  if (/[MWmw@%]/.test(ch)) return 0.8;
  return 0.58;
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
  // Highest space-class probability seen since the last emitted character.
  const spaceSince: number[] = [];
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
    if (spaceClass < classes) spaceMax = Math.max(spaceMax, probs[base + spaceClass]!);
    if (best !== 0 && best === prev) {
      const last = chars[chars.length - 1]!;
      last.end = t;
      last.prob = Math.max(last.prob, bestP);
    } else if (best !== 0) {
      const ch = best === spaceClass ? ' ' : (dictionary[best - 1] ?? '');
      // The space probability that counts is the one seen *before* this character.
      spaceSince.push(spaceMax);
      spaceMax = 0;
      chars.push({ char: ch, start: t, end: t, prob: bestP });
    }
    prev = best;
  }
  const confidence = chars.length === 0 ? 0 : chars.reduce((s, c) => s + c.prob, 0) / chars.length;
  return { text: joinWithSpaces(chars, spaceSince, spaces), confidence, chars };
}

/**
 * Joins decoded characters, restoring spaces at wide gaps. The em size (time steps per em) is
 * estimated from the line itself: the median of centre distances divided by nominal advances.
 */
export function joinWithSpaces(
  chars: readonly DecodedChar[],
  spaceBefore: readonly number[] = [],
  options: SpaceOptions = {},
): string {
  const gapEm = options.gapEm ?? 0.45;
  const cjkGapEm = options.cjkGapEm ?? 0.9;
  const spaceProb = options.spaceProb ?? 0.25;
  const centre = (c: DecodedChar): number => (c.start + c.end) / 2;
  // Estimate the em in time steps from neighbouring non-space characters.
  const ratios: number[] = [];
  for (let i = 1; i < chars.length; i++) {
    const a = chars[i - 1]!;
    const b = chars[i]!;
    if (a.char === ' ' || b.char === ' ') continue;
    ratios.push((centre(b) - centre(a)) / ((nominalWidth(a.char) + nominalWidth(b.char)) / 2));
  }
  ratios.sort((x, y) => x - y);
  // Fallback: the recogniser sees 48-px-high strips and emits one step per 8 px; an em is ~36 px.
  const em = ratios.length >= 3 ? ratios[Math.floor(ratios.length / 2)]! : 4.5;
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const b = chars[i]!;
    if (i > 0 && b.char !== ' ') {
      const a = chars[i - 1]!;
      if (a.char !== ' ') {
        const aCjk = isCjk(a.char);
        const bCjk = isCjk(b.char);
        if (!(aCjk && bCjk)) {
          const expected = ((nominalWidth(a.char) + nominalWidth(b.char)) / 2) * em;
          const excess = (centre(b) - centre(a) - expected) / em;
          const bar = aCjk || bCjk ? cjkGapEm : gapEm;
          if (excess > bar || (!aCjk && !bCjk && (spaceBefore[i] ?? 0) >= spaceProb)) out += ' ';
        }
      }
    }
    out += b.char;
  }
  return out.replace(/\s+/g, ' ').trim();
}
