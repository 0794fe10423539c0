/**
 * bench:vlm — speed and memory of the native Qwen3-VL engine on full-size synthetic GGUFs (random
 * weights, exactly Qwen3-VL-2B's dimensions: the same FLOPs and bytes as the real model).
 *
 * Each step runs twice, alternating, in the same run: through DocSight's engine (LlamaEngine: worker
 * process, IPC, image decoding, the N-API addon) and directly on the native layer (the C++ driver built
 * from the same sources, no Node.js). The ratio engine/native is the cost of everything above llama.cpp
 * (goal ≤ 1.05). When the prebuilt `@fugood/llama.node` binding is installed, its text steps are run
 * too, for the record (its x64 binaries have no AVX/AVX2; image steps take minutes, so off by default).
 *
 *   npm run bench:vlm -- [--models DIR] [--quants q4_0,q8_0] [--budgets 256,512,1024] [--threads 2]
 *                        [--prefill 256] [--tokens 64] [--prebuilt-images] [--no-prebuilt]
 *                        [--mmproj-quant f16,q8_0] [--images-only] [--zoom]
 *
 * `--mmproj-quant f16,q8_0` loads each text model once per vision projector (the official repo ships both an
 * F16 and a Q8_0 mmproj) and adds a column pair per projector; text-only steps run with the first projector
 * only, since the projector does not take part in them. `--images-only` keeps just the load, image and
 * memory rows (to compare projectors quickly). `--zoom` adds a table of what the ask task's zoomed crop costs:
 * an A4 invoice page (150 dpi, 10-pt print) read by the real OCR, a question about its total, and the page
 * alone against the page plus the crop that `docsight ask` would add (first run's model only).
 *
 * Not a test: it prints a Markdown table. Figures depend on the machine and on its load.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { configSchema } from '../src/config/config.js';
import { formatTable } from '../src/eval/table.js';
import { createOcrEngine } from '../src/read/ocr/engine.js';
import { renderPage } from '../src/read/ocr/test-support/test-pages.js';
import { zoomForQuestion } from '../src/understand/ask/question-zoom.js';
import { formatChatMl } from '../src/understand/engine/chat-format.js';
import {
  createLlamaEngine,
  type LlamaChatStats,
  type LlamaEngine,
} from '../src/understand/engine/llama-engine.js';
import { nativeDriverPath } from '../src/native/native-addon.js';
import {
  synthesizeQwen3Vl,
  type MmprojQuant,
  type SynthQuant,
} from '../src/models/synthetic/qwen3vl-synth.js';
import { prepareImage } from '../src/understand/images/prepare-image.js';
import { DEFAULT_TOKEN_BUDGET } from '../src/understand/images/token-budget.js';
import { buildTaskRequest } from '../src/understand/tasks/task-prompts.js';
import {
  withImagesInline,
  type ChatMessage,
  type EngineImage,
} from '../src/understand/vision-language-engine.js';

const { values: args } = parseArgs({
  options: {
    models: {
      type: 'string',
      default: process.env.DOCSIGHT_BENCH_MODELS ?? join(tmpdir(), 'docsight-bench-models'),
    },
    quants: { type: 'string', default: 'q4_0,q8_0' },
    budgets: { type: 'string', default: '256,512,1024' },
    threads: { type: 'string', default: String(Math.min(availableParallelism(), 8)) },
    prefill: { type: 'string', default: '256' },
    tokens: { type: 'string', default: '64' },
    'prebuilt-images': { type: 'boolean', default: false },
    'no-prebuilt': { type: 'boolean', default: false },
    size: { type: 'string', default: 'full' }, // 'tiny' only to smoke-test this script
    'mmproj-quant': { type: 'string', default: 'f16' },
    'images-only': { type: 'boolean', default: false },
    zoom: { type: 'boolean', default: false },
  },
});

const threads = Number(args.threads);
const prefillTokens = Number(args.prefill);
const answerTokens = Number(args.tokens);
const log = (msg: string): void => void process.stderr.write(`[bench:vlm] ${msg}\n`);

// ---------- inputs ----------

/** A page-like image: white paper, dark "text lines" of varying length, a little noise. */
async function pageImage(side: number): Promise<{ png: Buffer; rgb: Buffer }> {
  const rgb = Buffer.alloc(side * side * 3, 255);
  const line = Math.max(4, Math.round(side / 40));
  for (let y = line * 2; y < side - line * 2; y += line * 2) {
    const end = Math.round(side * (0.5 + 0.4 * Math.abs(Math.sin(y))));
    for (let yy = y; yy < y + line - 1; yy++) {
      for (let x = Math.round(side * 0.08); x < end; x++) {
        const v = (x * 31 + yy * 17) % 7 === 0 ? 200 : 30;
        rgb.fill(v, (yy * side + x) * 3, (yy * side + x) * 3 + 3);
      }
    }
  }
  const png = await sharp(rgb, { raw: { width: side, height: side, channels: 3 } })
    .png()
    .toBuffer();
  return { png, rgb };
}

/** An image for both layers: PNG for the engine, PPM for the native driver. */
async function benchImage(png: Buffer, work: string, id: string): Promise<BenchImage> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const ppm = join(work, `${id}.ppm`);
  writeFileSync(ppm, Buffer.concat([Buffer.from(`P6\n${info.width} ${info.height}\n255\n`), data]));
  return { png, ppm, id };
}

/**
 * The ask task's zoom on a realistic page: an A4 invoice at 150 dpi with 10-pt print, OCR'd by the real
 * models, the page at the ask budget and the crop the zoom step makes for a question about the total.
 */
async function zoomInputs(work: string) {
  const lines = [
    'ACME Office Supplies Ltd., 12 Harbour Road',
    'Invoice No. 2024-0117, issued 2024-03-01',
    'Paper A4, 12 boxes                84.00',
    'Toner cartridge, 4 pieces        236.50',
    'Delivery fee                      15.00',
    'Total due                        335.50',
    'Payment within 30 days to account 6222 0000 1234',
  ].map((text, i) => ({ text, x: 100, y: 200 + i * 60, size: 21 }));
  const raw = await renderPage({ width: 1240, height: 1754, lines });
  const png = await sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: 3 } })
    .png()
    .toBuffer();
  const question = 'What is the total due?';
  const ocr = await createOcrEngine(configSchema.parse({ home: join(work, 'home') }).ocr);
  try {
    const zoom = await zoomForQuestion({ image: png, question, pageBudget: DEFAULT_TOKEN_BUDGET.ask, ocr });
    if (zoom.images.length === 0) throw new Error(`the zoom step made no crop: ${zoom.note}`);
    const page = await prepareImage(png, { maxTokens: DEFAULT_TOKEN_BUDGET.ask });
    const crop = zoom.images[0]!;
    return {
      question,
      note: zoom.note,
      page: {
        ...(await benchImage(page.png, work, 'zoom-page')),
        tokens: page.tokens,
        size: `${page.width}×${page.height}`,
      },
      crop: {
        ...(await benchImage(crop.png, work, 'zoom-crop')),
        tokens: crop.tokens,
        size: `${crop.width}×${crop.height}`,
      },
    };
  } finally {
    await ocr.close();
  }
}

/** Prose of `n` bytes: with the synthetic byte-level vocabulary, exactly `n` tokens. */
function prose(n: number): string {
  const base = 'The invoice lists twelve boxes of paper, four toner cartridges and a delivery fee. ';
  return base.repeat(Math.ceil(n / base.length)).slice(0, n);
}

interface BenchImage {
  png: Buffer;
  ppm: string;
  id: string;
}

const stepImages = (s: Step): BenchImage[] => s.images ?? (s.image ? [s.image] : []);

interface Step {
  name: string;
  messages: ChatMessage[];
  image?: BenchImage;
  /** Several images in one request (a page and its zoomed crop); used instead of `image` when given. */
  images?: BenchImage[];
  maxTokens: number;
  clearCache: boolean;
}

interface StepResult {
  totalMs: number;
  /** CPU time of the process for the step (all threads): unlike wall time, robust to a busy machine. */
  cpuMs: number;
  firstTextMs: number;
  encodeMs: number;
  prefillMs: number;
  decodeMs: number;
  evaluatedTokens: number;
  generatedTokens: number;
  imagesEncoded: number;
  imageTokens: number;
  reusedTokens: number;
}

// ---------- the two layers ----------

class DriverProcess {
  private child: ChildProcessWithoutNullStreams;
  private lines: Interface;
  private queue: ((line: string) => void)[] = [];
  private buffered: string[] = [];

  constructor(loadJson: string) {
    this.child = spawn(nativeDriverPath(), [loadJson], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', () => {}); // llama.cpp warnings
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (l) => {
      const waiter = this.queue.shift();
      if (waiter) waiter(l);
      else this.buffered.push(l);
    });
  }
  next(): Promise<Record<string, number>> {
    return new Promise((resolve, reject) => {
      const take = (l: string) => {
        const v = JSON.parse(l) as Record<string, number>;
        if ('error' in v) reject(new Error(`driver: ${JSON.stringify(v)}`));
        else resolve(v);
      };
      const b = this.buffered.shift();
      if (b !== undefined) take(b);
      else this.queue.push(take);
    });
  }
  async step(s: Step): Promise<StepResult> {
    const images: EngineImage[] = stepImages(s).map((i) => ({ png: i.png, sha256: i.id }));
    const { prompt } = formatChatMl(withImagesInline({ messages: s.messages, images }), '<__media__>');
    const line = {
      name: s.name,
      prompt,
      images: stepImages(s).map((i) => ({ ppm: i.ppm, id: i.id })),
      maxTokens: s.maxTokens,
      ignoreEos: true,
      clearCache: s.clearCache,
    };
    this.child.stdin.write(JSON.stringify(line) + '\n');
    return (await this.next()) as unknown as StepResult;
  }
  async end(): Promise<number> {
    this.child.stdin.end();
    return (await this.next()).peakRssKb ?? 0;
  }
}

async function engineStep(engine: LlamaEngine, s: Step): Promise<StepResult> {
  if (s.clearCache) await engine.clearCache();
  const images: EngineImage[] = stepImages(s).map((i) => ({ png: i.png, sha256: i.id }));
  const t0 = performance.now();
  const { stats } = await engine.complete({
    messages: s.messages,
    images,
    maxTokens: s.maxTokens,
    ignoreEos: true,
  });
  const st: LlamaChatStats = stats;
  return { ...st, totalMs: performance.now() - t0 };
}

// ---------- prebuilt binding (for the record) ----------

interface PrebuiltResult {
  loadMs: number;
  prefillTokS: number;
  decodeTokS: number;
  firstAnswerMs?: number;
  encodeMs?: number;
  followUpTtftMs?: number;
  peakRssKb: number;
  systemInfo: string;
}

function findPrebuilt(): string | undefined {
  const candidates = [process.env.DOCSIGHT_PREBUILT_LLAMA_NODE, '@fugood/llama.node'].filter(
    Boolean,
  ) as string[];
  for (const c of candidates) {
    try {
      return createRequire(import.meta.url).resolve(c);
    } catch {
      // not installed there
    }
  }
  return undefined;
}

/**
 * Runs in a plain `node -e` child (tsx's resolver breaks the package's own .ts/.js lookup), so it is
 * self-contained: no imports, no closures. Its memory and threads stay out of the other columns.
 */
async function prebuiltChild(p: {
  entry: string;
  model: string;
  mmproj: string;
  page?: string;
  question: string;
  text: string;
  threads: number;
  tokens: number;
}): Promise<void> {
  type Ctx = {
    initMultimodal(o: object): boolean;
    completion(o: object, cb?: (t: unknown) => void): Promise<{ timings: Record<string, number> }>;
    clearCache(b: boolean): void;
    release(): Promise<void>;
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require(p.entry) as { loadModel(o: object): Promise<Ctx>; getSystemInfo?: () => string };
  const t0 = performance.now();
  const ctx = await lib.loadModel({
    model: p.model,
    n_ctx: 4096,
    n_threads: p.threads,
    n_gpu_layers: 0,
    ctx_shift: false,
  });
  const out: Record<string, unknown> = {
    loadMs: performance.now() - t0,
    systemInfo: lib.getSystemInfo?.() ?? '',
  };
  const user = (content: unknown) => [{ role: 'user', content }];
  const pre = await ctx.completion({ messages: user(p.text), jinja: true, n_predict: 1, temperature: 0 });
  out.prefillTokS = (pre.timings.prompt_n! / pre.timings.prompt_ms!) * 1000;
  const dec = await ctx.completion({
    messages: user(p.text),
    jinja: true,
    n_predict: p.tokens,
    ignore_eos: true,
    temperature: 0,
  });
  out.decodeTokS = (dec.timings.predicted_n! / dec.timings.predicted_ms!) * 1000;
  if (p.page) {
    ctx.clearCache(true);
    ctx.initMultimodal({ path: p.mmproj, use_gpu: false });
    const parts = [
      { type: 'image_url', image_url: { url: p.page } },
      { type: 'text', text: p.question },
    ];
    const t1 = performance.now();
    await ctx.completion({
      messages: user(parts),
      jinja: true,
      n_predict: p.tokens,
      ignore_eos: true,
      temperature: 0,
    });
    out.firstAnswerMs = performance.now() - t1;
    const t2 = performance.now();
    let ttft = -1;
    const followUp = [...user(parts), { role: 'assistant', content: 'ok' }, ...user('And the total?')];
    await ctx.completion({ messages: followUp, jinja: true, n_predict: 4, temperature: 0 }, () => {
      if (ttft < 0) ttft = performance.now() - t2;
    });
    out.followUpTtftMs = ttft;
  }
  out.peakRssKb = process.resourceUsage().maxRSS;
  await ctx.release();
  process.stdout.write('\nRESULT ' + JSON.stringify(out) + '\n');
  process.exit(0);
}

function runPrebuilt(
  input: Omit<Parameters<typeof prebuiltChild>[0], 'threads' | 'tokens'>,
): Promise<PrebuiltResult | undefined> {
  // tsx's compiler wraps functions in __name(); define it for the plain child.
  const code = `const __name = (f) => f; (${prebuiltChild.toString()})(${JSON.stringify({ ...input, threads, tokens: answerTokens })})`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.on('exit', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) {
        log(`prebuilt binding failed (${signal ?? code}): ${err.trim().split('\n').slice(-8).join(' / ')}`);
        return resolve(undefined);
      }
      resolve(JSON.parse(line.slice(7)) as PrebuiltResult);
    });
  });
}

// ---------- the run ----------

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rate = (n: number, ms: number) => (n / ms) * 1000;
const tokS = (x: number) => `${x.toFixed(1)} tok/s`;
const gb = (kb: number) => `${(kb / 1e6).toFixed(2)} GB`;

async function main(): Promise<void> {
  const quants = args.quants!.split(',') as SynthQuant[];
  // `--budgets ''` runs no encode rows (e.g. with --zoom alone).
  const budgets = args
    .budgets!.split(',')
    .filter((b) => b.trim() !== '')
    .map(Number);
  if (!existsSync(nativeDriverPath()))
    throw new Error(`${nativeDriverPath()} is missing: run npm run build:native`);
  const work = mkdtempSync(join(tmpdir(), 'bench-vlm-'));
  const mmprojQuants = args['mmproj-quant']!.split(',') as MmprojQuant[];
  for (const mq of mmprojQuants) {
    if (mq !== 'f16' && mq !== 'q8_0') throw new Error(`--mmproj-quant ${mq}: use f16 and/or q8_0`);
  }
  const files: Record<string, { model: string; mmproj: Record<string, string> }> = {};
  for (const q of quants) {
    const size = args.size === 'tiny' ? 'tiny' : 'full';
    const model = join(args.models!, `qwen3vl-${size}-${q}.gguf`);
    files[q] = { model, mmproj: {} };
    for (const mq of mmprojQuants) {
      const mmproj = join(args.models!, `mmproj-qwen3vl-${size}-${mq}.gguf`);
      if (!existsSync(model) || !existsSync(mmproj)) {
        log(`synthesizing ${size}-size ${q} + ${mq} mmproj GGUFs into ${args.models}`);
        await synthesizeQwen3Vl({ size, quant: q, mmprojQuant: mq, outDir: args.models! });
      }
      files[q]!.mmproj[mq] = mmproj;
    }
  }
  // One run per text model × projector; columns keep their old names when only the F16 projector is used.
  const runs = quants.flatMap((q) =>
    mmprojQuants.map((mq, i) => ({
      q,
      mq,
      firstProjector: i === 0,
      label: mmprojQuants.length === 1 && mq === 'f16' ? q : `${q}+${mq} mmproj`,
      model: files[q]!.model,
      mmproj: files[q]!.mmproj[mq]!,
    })),
  );
  const images = new Map<number, { png: Buffer; ppm: string; id: string }>();
  for (const side of [448, ...budgets]) {
    const { png, rgb } = await pageImage(side);
    const ppm = join(work, `page-${side}.ppm`);
    writeFileSync(ppm, Buffer.concat([Buffer.from(`P6\n${side} ${side}\n255\n`), rgb]));
    writeFileSync(join(work, `page-${side}.png`), png);
    images.set(side, { png, ppm, id: `page-${side}` });
  }
  const page = images.get(448)!;
  const text = prose(prefillTokens);
  const question = 'What is the total amount due on this invoice?';
  const ask = (content: ChatMessage['content']): ChatMessage[] => [{ role: 'user', content }];
  const withImage = (q: string): ChatMessage[] => ask([{ type: 'text', text: q }]);

  const rows = new Map<string, Map<string, string>>(); // metric → column → value
  const put = (metric: string, column: string, value: string) => {
    if (!rows.has(metric)) rows.set(metric, new Map());
    rows.get(metric)!.set(column, value);
  };
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(3) : '–');
  const cpuRows: string[][] = [];
  const zoomRows: string[][] = [];
  const zoom = args.zoom ? await zoomInputs(work) : undefined;
  if (zoom) log(`zoom: ${zoom.note}`);

  for (const run of runs) {
    const { q, label } = run;
    const f = { model: run.model, mmproj: run.mmproj };
    const E = `${label} engine`;
    const N = `${label} native`;
    const R = `${label} ratio`;
    log(`${label}: loading in both layers (${threads} threads)`);
    const loadJson = join(work, `load-${q}-${run.mq}.json`);
    writeFileSync(loadJson, JSON.stringify({ model: f.model, mmproj: f.mmproj, threads, nCtx: 8192 }));
    const driver = new DriverProcess(loadJson);
    const nLoad = (await driver.next()).loadMs!;
    const engine = createLlamaEngine({ model: f.model, mmproj: f.mmproj, threads, nCtx: 8192 });
    await engine.start();
    put('model + mmproj load', E, s(engine.loadMs));
    put('model + mmproj load', N, s(nLoad));
    put('model + mmproj load', R, ratio(engine.loadMs, nLoad));

    // Alternate layers step by step so both see the same machine load.
    const both = async (step: Step): Promise<[StepResult, StepResult]> => {
      log(`${label}: ${step.name}`);
      const e = await engineStep(engine, step);
      const n = await driver.step(step);
      return [e, n];
    };
    const steps: Array<[string, Step, (r: StepResult) => number, (v: number) => string, boolean]> = [];
    // (metric, step, value, format, higherIsBetter)
    // The mmproj is the same for every text quant: encode with the last one only (once per projector).
    const encodeBudgets = q === quants[quants.length - 1] ? budgets : [];
    for (const side of encodeBudgets) {
      steps.push([
        `image encode, ${side}×${side} px`,
        {
          name: `encode ${side}`,
          messages: withImage(question),
          image: images.get(side),
          maxTokens: 1,
          clearCache: true,
        },
        (r) => r.encodeMs,
        (v) => s(v),
        false,
      ]);
    }
    const textSteps: typeof steps = [
      [
        `text prefill (${prefillTokens} tokens)`,
        { name: 'prefill', messages: ask(text), maxTokens: 1, clearCache: true },
        (r) => rate(r.evaluatedTokens, r.prefillMs),
        tokS,
        true,
      ],
      [
        `decode (${answerTokens} tokens)`,
        { name: 'decode', messages: ask(text), maxTokens: answerTokens, clearCache: false },
        (r) => rate(r.generatedTokens, r.decodeMs),
        tokS,
        true,
      ],
    ];
    const pageSteps: typeof steps = [
      [
        `first answer: 448-px page, ${answerTokens} tokens`,
        {
          name: 'first answer',
          messages: withImage(question),
          image: page,
          maxTokens: answerTokens,
          clearCache: true,
        },
        (r) => r.totalMs,
        s,
        false,
      ],
      [
        'follow-up on the same page, time to first token',
        {
          name: 'follow-up',
          messages: [
            { role: 'user', content: [{ type: 'text', text: question }] },
            { role: 'assistant', content: 'The total is shown at the bottom.' },
            { role: 'user', content: 'And the date?' },
          ],
          image: page,
          maxTokens: 4,
          clearCache: false,
        },
        (r) => r.firstTextMs,
        s,
        false,
      ],
    ];
    // The projector takes no part in text-only steps: run them with the first one only.
    if (!args['images-only']) {
      if (run.firstProjector) steps.push(...textSteps);
      steps.push(...pageSteps);
    }
    for (const [metric, step, value, format, higher] of steps) {
      const [e, n] = await both(step);
      if (step.name === 'follow-up' && (e.imagesEncoded !== 0 || n.imagesEncoded !== 0)) {
        throw new Error('the follow-up re-encoded the image: KV reuse is broken');
      }
      put(metric, E, format(value(e)));
      put(metric, N, format(value(n)));
      cpuRows.push([`${label}: ${metric}`, s(e.cpuMs), s(n.cpuMs), ratio(e.cpuMs, n.cpuMs)]);
      // Ratio as a cost: engine time / native time (for rates: native rate / engine rate).
      put(metric, R, higher ? ratio(value(n), value(e)) : ratio(value(e), value(n)));
    }
    if (zoom && run === runs[0]) {
      // The page alone, then page + crop, each from an empty cache: what a first question costs.
      const variants: Array<[string, BenchImage[], number]> = [
        [`page alone (${zoom.page.size}, ${zoom.page.tokens} tokens)`, [zoom.page], 0],
        [`page + crop (${zoom.crop.size}, ${zoom.crop.tokens} tokens)`, [zoom.page, zoom.crop], 1],
      ];
      for (const [name, imgs, zoomedRegions] of variants) {
        const request = buildTaskRequest('ask', {
          images: imgs.map((i) => ({ png: i.png, sha256: i.id })),
          question: zoom.question,
          zoomedRegions,
        });
        const [e, n] = await both({
          name: `zoom: ${name}`,
          messages: request.messages,
          images: imgs,
          maxTokens: 1,
          clearCache: true,
        });
        zoomRows.push([
          `${label}: ${name}`,
          String(e.imageTokens),
          s(e.encodeMs),
          s(n.encodeMs),
          s(e.prefillMs),
          s(n.prefillMs),
          s(e.totalMs),
          s(n.totalMs),
          s(e.cpuMs),
          s(n.cpuMs),
        ]);
      }
    }
    const eRss = await engine.peakRssKb();
    const nRss = await driver.end();
    put('peak RSS', E, gb(eRss));
    put('peak RSS', N, gb(nRss));
    put('peak RSS', R, ratio(eRss, nRss));
    await engine.close();
  }

  const prebuiltEntry = args['no-prebuilt'] ? undefined : findPrebuilt();
  let prebuiltNote = '';
  if (prebuiltEntry) {
    const q = quants.includes('q8_0') ? 'q8_0' : quants[0]!;
    log(`prebuilt @fugood/llama.node (${q}), for the record`);
    const r = await runPrebuilt({
      entry: prebuiltEntry,
      model: files[q]!.model,
      mmproj: files[q]!.mmproj[mmprojQuants[0]!]!,
      page: args['prebuilt-images'] ? join(work, 'page-448.png') : undefined,
      question,
      text,
    });
    if (r) {
      const P = `${q} prebuilt`;
      put('model + mmproj load', P, `${s(r.loadMs)} (text only)`);
      put(`text prefill (${prefillTokens} tokens)`, P, tokS(r.prefillTokS));
      put(`decode (${answerTokens} tokens)`, P, tokS(r.decodeTokS));
      if (r.firstAnswerMs !== undefined) {
        put(`first answer: 448-px page, ${answerTokens} tokens`, P, s(r.firstAnswerMs));
        put('follow-up on the same page, time to first token', P, s(r.followUpTtftMs!));
      }
      put('peak RSS', P, gb(r.peakRssKb));
      prebuiltNote = `prebuilt: @fugood/llama.node 1.7.15 (${r.systemInfo.trim() || 'no SIMD listed'})`;
    }
  } else if (!args['no-prebuilt']) {
    prebuiltNote =
      'prebuilt column skipped: install it outside the project (npm i --prefix /tmp/llama-node @fugood/llama.node@1.7.15 ' +
      '@fugood/node-llama-linux-x64@1.7.15 --omit=optional) and set DOCSIGHT_PREBUILT_LLAMA_NODE=/tmp/llama-node/node_modules/@fugood/llama.node';
  }

  const columns = [...new Set([...rows.values()].flatMap((m) => [...m.keys()]))];
  const table = formatTable(
    ['step', ...columns],
    [...rows.entries()].map(([metric, m]) => [metric, ...columns.map((c) => m.get(c) ?? '')]),
  );
  const info = await (async () => {
    const e = createLlamaEngine({
      model: files[quants[0]!]!.model,
      mmproj: files[quants[0]!]!.mmproj[mmprojQuants[0]!]!,
      threads: 1,
    });
    try {
      return await e.systemInfo();
    } finally {
      await e.close();
    }
  })();
  process.stdout.write(
    `\nbench:vlm — full-size synthetic Qwen3-VL-2B GGUFs (random weights), ${threads} threads, ${cpus()[0]?.model ?? 'CPU'}\n` +
      `engine = DocSight LlamaEngine (worker process + addon); native = C++ driver on the same library; ` +
      `ratio = engine cost / native cost (goal ≤ 1.05)\nnative build: ${info.trim()}\n` +
      (prebuiltNote ? `${prebuiltNote}\n` : '') +
      `\n${table}\n\nCPU time per step (process, all threads; robust to other load on the machine):\n\n` +
      formatTable(['step', 'engine CPU', 'native CPU', 'ratio'], cpuRows) +
      '\n' +
      (zoom
        ? `\nAsk with a zoomed crop (${zoom.note}); first question, empty cache, 1 answer token:\n\n` +
          formatTable(
            [
              'request',
              'image tokens',
              'encode engine',
              'encode native',
              'prefill engine',
              'prefill native',
              'to first token engine',
              'to first token native',
              'CPU engine',
              'CPU native',
            ],
            zoomRows,
          ) +
          '\n'
        : ''),
  );
  rmSync(work, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:vlm failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
