/**
 * Dev tool for word segmentation (issue 2). Runs detection, orientation and recognition once over eval
 * splits and caches, per line, what the word-space decision needs (the recogniser's top classes and
 * the space class per time step, the grey strip, the quad); then replays decoding, `segmentWords`,
 * layout and scoring from the cache in seconds, so a changed space rule is measured without the models.
 *
 *   npx tsx tools/ocr-words.ts cache /work/shared/eval/sroie/dev /tmp/ocr-words/sroie    # minutes
 *   npx tsx tools/ocr-words.ts score /work/shared/eval/sroie/dev /tmp/ocr-words/sroie --errors 40
 *   npx tsx tools/ocr-words.ts fit SROIE_DIR SROIE_CACHE FUNSD_DIR FUNSD_CACHE --errors 40
 *
 * `score` prints word/char F1 as `docsight eval ocr` computes them (within ±0.003: the cache reads each
 * strip alone with the unfolded models), and with `--errors N` the most frequent unmatched words, the
 * GT text no predicted line covers, and the missed GT words by class (split inside the word, merged
 * with a neighbour, punctuation attached, character errors). `fit` labels every pair of neighbouring
 * characters with the GT's answer (space or not), fits the weights of spaces.ts by logistic regression
 * and prints the gap errors of the defaults and of the fit. Tune on dev splits only.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { loadDataset } from '../src/eval/ocr/datasets.js';
import { decodeImageFile } from '../src/eval/ocr/engine-reader.js';
import { pageText } from '../src/eval/ocr/reading-order.js';
import { addCounts, countPage, scoreCounts, tokenizeWords } from '../src/eval/ocr/score.js';
import { cropTextLine } from '../src/read/ocr/crop.js';
import { decodeCtc } from '../src/read/ocr/ctc.js';
import { detectText } from '../src/read/ocr/detect.js';
import { layoutLines, type LayoutItem } from '../src/read/ocr/layout.js';
import { defaultModelPaths, loadDictionary, loadModel } from '../src/read/ocr/models.js';
import {
  classifyStrips,
  mostlyUpsideDown,
  sampleForVote,
  tallShare,
  type Rotation,
} from '../src/read/ocr/orientation.js';
import { normaliseContrast, rotateRgb, toRgb, unrotatePoint, type RgbImage } from '../src/read/ocr/pixels.js';
import { packStrips, REC_HEIGHT } from '../src/read/ocr/recognize.js';
import {
  DEFAULT_PUNCTUATION_WEIGHTS,
  DEFAULT_WEIGHTS,
  measureGaps,
  segmentWords,
  spaceScore,
  type CharGap,
  type WordGapOptions,
  type WordGapWeights,
} from '../src/read/ocr/spaces.js';
import { quadBounds } from '../src/read/ocr/geometry.js';
import { isCjkCharacter } from '../src/text/cjk.js';
import type { Quad } from '../src/read/types.js';

/** Classes kept per time step: enough to replay greedy decoding and the space-class signal. */
const TOP = 3;

interface CachedLine {
  quad: Quad;
  stripWidth: number;
  steps: number;
  /** Per step: TOP (class, prob) pairs, then blank and space probabilities. */
  top: number[];
  /** Grey strip, base64. */
  grey: string;
}

interface CachedPage {
  id: string;
  width: number;
  height: number;
  rotation: Rotation;
  lines: CachedLine[];
}

const grey = (s: RgbImage): Uint8Array => {
  const out = new Uint8Array(s.width * s.height);
  // The luminance inkProfile computes; stored as R = G = B it reads back unchanged.
  for (let i = 0; i < out.length; i++)
    out[i] = (s.data[3 * i]! * 77 + s.data[3 * i + 1]! * 150 + s.data[3 * i + 2]! * 29) >> 8;
  return out;
};

async function cache(dir: string, out: string): Promise<void> {
  const config = loadConfig({});
  const paths = defaultModelPaths();
  const dictionary = loadDictionary(paths.dictionary);
  const [det, rec, cls] = await Promise.all([
    loadModel(paths.detection, 1),
    loadModel(paths.recognition, 1),
    loadModel(paths.classifier, 1),
  ]);
  const classes = dictionary.length + 2;
  mkdirSync(out, { recursive: true });
  for (const p of loadDataset(dir).pages) {
    const file = join(out, `${p.id}.json`);
    if (existsSync(file)) continue;
    const image = await decodeImageFile(p.imagePath);
    const page = normaliseContrast(toRgb(image));
    const detectOptions = { maxSide: config.ocr.detectMaxSide };
    let boxes = await detectText(det, page, detectOptions);
    // Page rotation, as engine.ts decides it.
    let rotation: Rotation = 0;
    const quads = boxes.map((b) => b.quad);
    if (quads.length > 0) {
      const sideways = tallShare(quads) > 0.5;
      const sample = sampleForVote(sideways ? quads.filter((q) => tallShare([q]) === 1) : quads, 12);
      const votes = await classifyStrips(
        cls,
        sample.map((q) => cropTextLine(page, q, REC_HEIGHT)),
        16,
      );
      const flipped = mostlyUpsideDown(votes);
      rotation = sideways ? (flipped ? 90 : 270) : flipped ? 180 : 0;
    }
    let upright = page;
    if (rotation !== 0) {
      upright = rotateRgb(page, rotation);
      boxes = await detectText(det, upright, detectOptions);
    }
    const strips = boxes.map((b) => cropTextLine(upright, b.quad, REC_HEIGHT));
    if (strips.length > 0) {
      const votes = await classifyStrips(cls, strips, 16);
      votes.forEach((v, i) => {
        if (v.angle === 180 && v.prob >= 0.99) strips[i] = rotateRgb(strips[i]!, 180);
      });
    }
    const lines: CachedLine[] = [];
    for (let i = 0; i < strips.length; i++) {
      // One strip per call: the output does not depend on batching (padding is masked by width).
      const s = strips[i]!;
      const width = Math.min(3200, Math.max(96, Math.ceil(s.width / 8) * 8));
      const o = await rec.run(packStrips([s], REC_HEIGHT, width), [1, 3, REC_HEIGHT, width]);
      const steps = o.dims[1]!;
      const top: number[] = [];
      for (let t = 0; t < steps; t++) {
        const row = o.data.subarray(t * classes, (t + 1) * classes);
        const best: [number, number][] = [];
        for (let k = 0; k < classes; k++) {
          const v = row[k]!;
          if (best.length < TOP || v > best[TOP - 1]![1]) {
            best.push([k, v]);
            best.sort((a, b) => b[1] - a[1]);
            if (best.length > TOP) best.pop();
          }
        }
        for (const [k, v] of best) top.push(k, v);
        top.push(row[0]!, row[classes - 1]!);
      }
      lines.push({
        quad: boxes[i]!.quad,
        stripWidth: s.width,
        steps,
        top,
        grey: Buffer.from(grey(s)).toString('base64'),
      });
    }
    const cached: CachedPage = { id: p.id, width: image.width, height: image.height, rotation, lines };
    writeFileSync(file, JSON.stringify(cached));
    process.stderr.write(`${p.id} ${lines.length} lines\n`);
  }
  await Promise.all([det.close(), rec.close(), cls.close()]);
}

/** A replayed line: its decoded text, confidence and strip, ready for a space rule. */
interface ReplayLine {
  text: string;
  confidence: number;
  quad: Quad;
}

/** Decodes a cached line as recognize.ts would, and rebuilds its strip. */
function decodeCached(l: CachedLine, classes: number, dictionary: string[]) {
  const probs = new Float32Array(l.steps * classes);
  const per = 2 * TOP + 2;
  for (let t = 0; t < l.steps; t++) {
    const r = l.top.slice(t * per, (t + 1) * per);
    probs[t * classes] = r[2 * TOP]!;
    probs[t * classes + classes - 1] = r[2 * TOP + 1]!;
    for (let k = 0; k < TOP; k++) probs[t * classes + r[2 * k]!] = r[2 * k + 1]!;
  }
  const line = decodeCtc(probs, 0, l.steps, classes, dictionary);
  const g = Buffer.from(l.grey, 'base64');
  const data = new Uint8Array(g.length * 3);
  for (let i = 0; i < g.length; i++) data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = g[i]!;
  const strip: RgbImage = { data, width: l.stripWidth, height: REC_HEIGHT };
  const width = Math.min(3200, Math.max(96, Math.ceil(l.stripWidth / 8) * 8));
  const stepWidth = (width / l.steps) * (l.stripWidth / Math.min(width, l.stripWidth));
  return { line, strip, stepWidth };
}

function replayPage(
  c: CachedPage,
  dictionary: string[],
  minConfidence: number,
  words: WordGapOptions = {},
): ReplayLine[] {
  const classes = dictionary.length + 2;
  const items: LayoutItem[] = [];
  for (const l of c.lines) {
    const { line, strip, stepWidth } = decodeCached(l, classes, dictionary);
    const text = segmentWords(line.chars, strip, stepWidth, words);
    if (text.length === 0 || line.confidence < minConfidence) continue;
    items.push({ text, quad: l.quad, confidence: line.confidence });
  }
  return layoutLines(items).map((l) => {
    const q: number[] = [];
    for (let i = 0; i < 4; i++)
      q.push(...unrotatePoint(l.quad[2 * i]!, l.quad[2 * i + 1]!, c.rotation, c.width, c.height));
    return { text: l.text, confidence: l.confidence, quad: q as Quad };
  });
}

const charSamples: string[] = [];

/**
 * Sorts unmatched GT words into error classes by looking for their characters in the predicted page
 * text (lower case): found with a space inside → split inside the word; found whole but glued to a
 * neighbour → merged (with a punctuation mark or with another word); not found → character errors or
 * a line the detector missed.
 */
function classify(missed: string[], predicted: string): Map<string, number> {
  const cls = new Map<string, number>();
  const add = (k: string) => cls.set(k, (cls.get(k) ?? 0) + 1);
  const text = predicted.toLowerCase().replace(/\s+/g, ' ');
  const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const counts = new Map<string, number>();
  for (const w of missed) counts.set(w, (counts.get(w) ?? 0) + 1);
  for (const [w, n] of counts) {
    const pattern = new RegExp([...w].map(escape).join(' ?'), 'gu');
    // Occurrences that are not standalone words: the ones that explain the misses.
    const flawed = [...text.matchAll(pattern)].filter(
      (h) =>
        h[0].includes(' ') ||
        (text[h.index - 1] ?? ' ') !== ' ' ||
        (text[h.index + h[0].length] ?? ' ') !== ' ',
    );
    for (let k = 0; k < n; k++) {
      const h = flawed[k];
      if (!h) {
        add('character errors or missed text');
        if (charSamples.length < 80) charSamples.push(w);
        continue;
      }
      const glued = [text[h.index - 1] ?? ' ', text[h.index + h[0].length] ?? ' '].filter((c) => c !== ' ');
      if (h[0].includes(' ')) add('split inside the word');
      else if (glued.every((c) => /[^\p{L}\p{N}]/u.test(c))) add('punctuation attached');
      else add('merged with a neighbouring word');
    }
  }
  return cls;
}

async function score(
  dir: string,
  out: string,
  errors: number,
  minConfidence: number,
  show?: string,
  words: WordGapOptions = {},
): Promise<void> {
  const dictionary = loadDictionary(defaultModelPaths().dictionary);
  const counts = [];
  const fn = new Map<string, number>();
  const fp = new Map<string, number>();
  let classes = new Map<string, number>();
  const looseCounts = [];
  let unseenWords = 0;
  let unseenShown = 0;
  const unseen: string[] = [];
  for (const p of loadDataset(dir).pages) {
    const c = JSON.parse(readFileSync(join(out, `${p.id}.json`), 'utf8')) as CachedPage;
    const lines = replayPage(c, dictionary, minConfidence, words);
    const predicted = lines.length === 0 ? '' : pageText(lines.map((l) => ({ text: l.text, box: l.quad })));
    counts.push(countPage(p.text, predicted));
    // Diagnostic only: both sides with punctuation split off and spaces dropped inside runs of letters and
    // digits broken by punctuation, so tokenisation conventions ("9/3/92" vs "9/ 3/ 92") stop mattering.
    const detach = (t: string) => t.replace(/([^\p{L}\p{N}\s])/gu, ' $1 ');
    looseCounts.push(countPage(detach(p.text), detach(predicted)));
    // GT pieces no predicted line overlaps: text the detector missed (or whose line was dropped).
    if (c.rotation === 0)
      for (const it of p.items) {
        const g = quadBounds(it.box);
        const hit = lines.some((l) => {
          const b = quadBounds(l.quad);
          const dx = Math.min(g.maxX, b.maxX) - Math.max(g.minX, b.minX);
          const dy = Math.min(g.maxY, b.maxY) - Math.max(g.minY, b.minY);
          return dx > 0 && dy > 0 && dx * dy >= 0.3 * (g.maxX - g.minX) * (g.maxY - g.minY);
        });
        if (!hit) {
          unseenWords += tokenizeWords(it.text).length;
          if (unseenShown < errors) {
            unseen.push(`${p.id}:${it.text}`);
            unseenShown++;
          }
        }
      }
    if (show === p.id) console.log(`--- GT\n${p.text}\n--- predicted\n${predicted}`);
    if (errors > 0) {
      const gt = tokenizeWords(p.text).map((w) => w.toLowerCase());
      const pr = tokenizeWords(predicted).map((w) => w.toLowerCase());
      const left = new Map<string, number>();
      for (const w of gt) left.set(w, (left.get(w) ?? 0) + 1);
      const extra: string[] = [];
      for (const w of pr) {
        const n = left.get(w) ?? 0;
        if (n > 0) left.set(w, n - 1);
        else extra.push(w);
      }
      const missed: string[] = [];
      for (const [w, n] of left) for (let k = 0; k < n; k++) missed.push(w);
      for (const w of missed) fn.set(w, (fn.get(w) ?? 0) + 1);
      for (const w of extra) fp.set(w, (fp.get(w) ?? 0) + 1);
      for (const [k, n] of classify(missed, predicted)) classes.set(k, (classes.get(k) ?? 0) + n);
    }
  }
  const total = addCounts(...counts);
  const s = scoreCounts(total);
  const f = (x: number) => x.toFixed(3);
  console.log(
    `${dir}: word F1 ${f(s.f1)} (ci ${f(s.f1_ci)}; P ${f(s.precision_ci)} R ${f(s.recall_ci)}), char F1 ${f(s.char_f1)} (ci ${f(s.char_f1_ci)}), GT words ${total.gtWords}, predicted ${total.predWords}`,
  );
  const loose = scoreCounts(addCounts(...looseCounts));
  console.log(`  with punctuation split off on both sides (diagnostic): word F1 ci ${f(loose.f1_ci)}`);
  if (errors > 0) {
    const top = (m: Map<string, number>) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, errors)
        .map(([w, n]) => `${w}×${n}`)
        .join('  ');
    console.log(`missed GT words (case-insensitive): ${top(fn)}`);
    console.log(`extra predicted words: ${top(fp)}`);
    classes = new Map([...classes].sort((a, b) => b[1] - a[1]));
    console.log(
      `GT words in pieces no predicted line covers: ${unseenWords} (${((100 * unseenWords) / total.gtWords).toFixed(1)} %): ${unseen.join(' | ')}`,
    );
    console.log(`character-error samples: ${charSamples.join('  ')}`);
    console.log('missed GT words by class (share of GT words):');
    for (const [k, n] of classes) console.log(`  ${k}: ${n} (${((100 * n) / total.gtWords).toFixed(1)} %)`);
  }
}

/** Levenshtein alignment of `a` to `b`: for each index of `a`, the index of `b` it was matched to, or -1. */
function align(a: string[], b: string[]): number[] {
  const n = a.length;
  const m = b.length;
  const d = Array.from({ length: n + 1 }, (_, i) => {
    const row = new Int32Array(m + 1);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= m; j++) d[0]![j] = j;
  for (let i = 1; i <= n; i++)
    for (let j = 1; j <= m; j++)
      d[i]![j] = Math.min(
        d[i - 1]![j]! + 1,
        d[i]![j - 1]! + 1,
        d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
  const out = new Array<number>(n).fill(-1);
  let i = n;
  let j = m;
  while (i > 0 && j > 0) {
    if (d[i]![j] === d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)) {
      if (a[i - 1] === b[j - 1]) out[i - 1] = j - 1;
      i--;
      j--;
    } else if (d[i]![j] === d[i - 1]![j]! + 1) i--;
    else j--;
  }
  return out;
}

/** A pair of neighbouring characters whose GT position is known: the measurements and the GT's answer. */
interface LabelledGap {
  page: string;
  a: string;
  b: string;
  gap: CharGap;
  space: boolean;
  context: string;
}

/**
 * Labels the gaps of every cached line: the line's characters are aligned (lower case) with the GT
 * pieces its box overlaps, and a pair whose characters map to neighbouring GT characters is labelled
 * by whether the GT has a space between them. Pairs next to a misread character are left out.
 */
function collectGaps(dir: string, out: string): LabelledGap[] {
  const dictionary = loadDictionary(defaultModelPaths().dictionary);
  const classes = dictionary.length + 2;
  const rows: LabelledGap[] = [];
  for (const p of loadDataset(dir).pages) {
    const c = JSON.parse(readFileSync(join(out, `${p.id}.json`), 'utf8')) as CachedPage;
    // Boxes of a turned page are in upright coordinates; the GT's are not.
    if (c.rotation !== 0) continue;
    for (const l of c.lines) {
      const { line, strip, stepWidth } = decodeCached(l, classes, dictionary);
      const b = quadBounds(l.quad);
      const h = b.maxY - b.minY;
      const gt = p.items
        .map((it) => ({ it, g: quadBounds(it.box) }))
        .filter(({ g }) => {
          const dy = Math.min(g.maxY, b.maxY) - Math.max(g.minY, b.minY);
          const dx = Math.min(g.maxX, b.maxX) - Math.max(g.minX, b.minX);
          return dy > 0.5 * Math.min(h, g.maxY - g.minY) && dx > 0;
        })
        .sort((x, y) => x.g.minX - y.g.minX)
        .map(({ it }) => it.text)
        .join(' ')
        .toLowerCase();
      const gtChars: string[] = [];
      const spaceBefore: boolean[] = [];
      let sawSpace = false;
      for (const ch of gt) {
        if (/\s/.test(ch)) sawSpace = true;
        else {
          gtChars.push(ch);
          spaceBefore.push(sawSpace);
          sawSpace = false;
        }
      }
      const letters = line.chars.filter((x) => x.char !== ' ');
      const map = align(
        letters.map((x) => x.char.toLowerCase()),
        gtChars,
      );
      const gaps = measureGaps(line.chars, strip, stepWidth);
      const text = letters.map((x) => x.char).join('');
      for (let i = 1; i < letters.length; i++) {
        const ga = map[i - 1]!;
        const gb = map[i]!;
        if (ga < 0 || gb !== ga + 1) continue;
        if (isCjkCharacter(letters[i - 1]!.char) || isCjkCharacter(letters[i]!.char)) continue;
        rows.push({
          page: p.id,
          a: letters[i - 1]!.char,
          b: letters[i]!.char,
          gap: gaps[i]!,
          space: spaceBefore[gb]!,
          context: `${text.slice(Math.max(0, i - 8), i)}|${text.slice(i, i + 8)}`,
        });
      }
    }
  }
  return rows;
}

/** The measurements `spaceScore` weighs, in the order of `WordGapWeights`. */
const features = (g: CharGap): number[] => [
  1,
  Math.min(g.blank, 1.5),
  Math.min(g.pitch, 3),
  Math.log10(g.spaceProb + 1e-4),
];

/** Solves A x = b (small, dense) by Gaussian elimination with partial pivoting. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = M[r]![c]! / M[c]![c]!;
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let v = M[r]![n]!;
    for (let k = r + 1; k < n; k++) v -= M[r]![k]! * x[k]!;
    x[r] = v / M[r]![r]!;
  }
  return x;
}

/** Logistic regression by Newton's method, with a little L2 so separable data stays finite. */
function fitLogistic(rows: LabelledGap[], l2 = 1e-3): WordGapWeights {
  const X = rows.map((r) => features(r.gap));
  const y = rows.map((r) => (r.space ? 1 : 0));
  const d = X[0]!.length;
  let w = new Array<number>(d).fill(0);
  for (let it = 0; it < 30; it++) {
    const g = new Array<number>(d).fill(0);
    const H = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    X.forEach((x, n) => {
      const z = x.reduce((s, v, k) => s + v * w[k]!, 0);
      const p = 1 / (1 + Math.exp(-z));
      for (let i = 0; i < d; i++) {
        g[i]! += ((p - y[n]!) * x[i]!) / X.length;
        for (let j = 0; j < d; j++) H[i]![j]! += (p * (1 - p) * x[i]! * x[j]!) / X.length;
      }
    });
    for (let i = 0; i < d; i++) {
      g[i]! += l2 * w[i]!;
      H[i]![i]! += l2;
    }
    const step = solve(H, g);
    w = w.map((v, i) => v - step[i]!);
  }
  const r = (v: number) => Math.round(v * 100) / 100;
  return { bias: r(w[0]!), blank: r(w[1]!), pitch: r(w[2]!), spaceProb: r(w[3]!) };
}

/** Pairs next to a punctuation mark get their own weights (see `WordGapOptions.punctuationWeights`). */
interface WeightSets {
  weights: WordGapWeights;
  punctuationWeights: WordGapWeights;
}

function gapErrors(rows: LabelledGap[], sets: WeightSets) {
  const wrong = rows.filter(
    (r) => spaceScore(r.gap, r.gap.punctuation ? sets.punctuationWeights : sets.weights) > 0 !== r.space,
  );
  return { spurious: wrong.filter((r) => !r.space), missed: wrong.filter((r) => r.space) };
}

/** Fits the space rule's two weight sets on the labelled gaps of several splits and compares with the defaults. */
function fit(pairs: [string, string][], show: number): void {
  const sets = pairs.map(([dir, out]) => ({ dir, rows: collectGaps(dir, out) }));
  const all = sets.flatMap((s) => s.rows);
  const fitted: WeightSets = {
    weights: fitLogistic(all.filter((r) => !r.gap.punctuation)),
    punctuationWeights: fitLogistic(all.filter((r) => r.gap.punctuation)),
  };
  console.log(`fitted: ${JSON.stringify(fitted)}`);
  const defaults: WeightSets = {
    weights: DEFAULT_WEIGHTS,
    punctuationWeights: DEFAULT_PUNCTUATION_WEIGHTS,
  };
  for (const { dir, rows } of sets) {
    for (const [name, w] of [
      ['defaults', defaults],
      ['fitted', fitted],
    ] as const) {
      const e = gapErrors(rows, w);
      const faint = (r: LabelledGap) => r.gap.blank < 0.2 && r.gap.spaceProb < 0.01;
      console.log(
        `${dir} ${name}: ${rows.length} gaps (${rows.filter((r) => r.space).length} spaces), ${e.spurious.length} spurious spaces, ${e.missed.length} missed (${e.missed.filter((r) => r.gap.punctuation).length} next to punctuation, ${e.missed.filter(faint).length} with no visible gap: blank < 0.2 text heights, space class < 0.01)`,
      );
      if (show > 0 && name === 'fitted') {
        const fmt = (r: LabelledGap) =>
          `${r.context} (${r.gap.blank.toFixed(2)},${r.gap.pitch.toFixed(2)},${r.gap.spaceProb.toFixed(3)})`;
        console.log(`  spurious: ${e.spurious.slice(0, show).map(fmt).join('  ')}`);
        console.log(`  missed: ${e.missed.slice(0, show).map(fmt).join('  ')}`);
      }
    }
  }
}

const [mode, dir, out, ...rest] = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = rest.indexOf(name);
  return i >= 0 ? Number(rest[i + 1]) : fallback;
};
if (!dir || !out || !['cache', 'score', 'fit'].includes(mode ?? '')) {
  console.error(
    'usage: tsx tools/ocr-words.ts cache SPLIT_DIR CACHE_DIR\n' +
      '       tsx tools/ocr-words.ts score SPLIT_DIR CACHE_DIR [--errors N] [--min-confidence X] [--page ID] [--options JSON]\n' +
      '       tsx tools/ocr-words.ts fit SPLIT_DIR CACHE_DIR [SPLIT_DIR CACHE_DIR ...] [--errors N]',
  );
  process.exit(2);
}
if (mode === 'cache') await cache(dir, out);
else if (mode === 'fit') {
  // fit SPLIT CACHE [SPLIT CACHE ...] [--errors N]
  const positional = rest.filter((x, i) => !x.startsWith('--') && !rest[i - 1]?.startsWith('--'));
  const args = [dir, out, ...positional];
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < args.length; i += 2) pairs.push([args[i]!, args[i + 1]!]);
  fit(pairs, flag('--errors', 0));
} else {
  const page = rest.indexOf('--page');
  const options = rest.indexOf('--options');
  await score(
    dir,
    out,
    flag('--errors', 0),
    flag('--min-confidence', 0.5),
    page >= 0 ? rest[page + 1] : undefined,
    options >= 0 ? (JSON.parse(rest[options + 1]!) as WordGapOptions) : {},
  );
}
