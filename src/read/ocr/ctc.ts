/**
 * CTC greedy decoding for the PP-OCR recogniser.
 *
 * Classes: 0 = CTC blank, 1..N = the dictionary, N+1 = space. The model often swallows spaces
 * ("UserManual"), so every character keeps its time steps and the space class's probability before
 * it; spaces.ts decides the word spaces from those and the strip's pixels.
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
  /**
   * Highest probability of the space class at any step since the previous non-space character,
   * including steps where the space won (so it is high where the model emitted a space).
   */
  spaceBefore: number;
}

export interface DecodedLine {
  /** The characters as the model read them, with only the spaces it emitted itself (see spaces.ts). */
  text: string;
  /** Mean of the characters' probabilities; 0 for an empty line. */
  confidence: number;
  chars: DecodedChar[];
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
    // The space class's probability builds up over blank and space steps until the next character.
    if ((best === 0 || best === spaceClass) && spaceClass < classes)
      spaceMax = Math.max(spaceMax, probs[base + spaceClass]!);
    if (best !== 0 && best === prev) {
      const last = chars[chars.length - 1]!;
      last.end = t;
      last.prob = Math.max(last.prob, bestP);
    } else if (best !== 0) {
      const ch = best === spaceClass ? ' ' : (dictionary[best - 1] ?? '');
      chars.push({ char: ch, start: t, end: t, centre: t, prob: bestP, spaceBefore: spaceMax });
      classIds.push(best);
      if (best !== spaceClass) spaceMax = 0;
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
  const text = chars
    .map((c) => c.char)
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
  return { text, confidence, chars };
}
