/**
 * bench:api — what the HTTP API costs on top of the application, and how it behaves under load, on the
 * full-size synthetic Qwen3-VL (random weights, Qwen3-VL-2B's dimensions: the real model's FLOPs and bytes).
 *
 *   npm run bench:api -- [--models DIR] [--threads 1] [--reps 3] [--tokens 16] [--clients 1,4,16]
 *                        [--upload-mb 300] [--no-upload]
 *
 * 1. Overhead: one chat with a 448-px image through HTTP (the official `openai` client, streamed) against the
 *    same call on the application (`completeChat`), alternating, in the same run: time to first token, total,
 *    ratio HTTP/direct (goal ≤ 1.05). Every call gets a new image, so each pays the vision encoder.
 * 2. Concurrency: 1, 4 and 16 clients at once, each one chat with its own small (128-px) image: p50/p95
 *    latency, 429s (queue full: understand.maxQueue; rate limit: server.rateLimitPerMinute), peak RSS of the
 *    server process and of its engine worker processes.
 * 3. Upload: one `--upload-mb` MB text file posted to /api/documents by curl (another process): throughput and
 *    the server process's RSS growth.
 *
 * Models: `qwen3vl-full-q4_0.gguf` + `mmproj-qwen3vl-full-q8_0.gguf` in --models (default
 * $DOCSIGHT_BENCH_MODELS or <tmp>/docsight-bench-models, shared with bench:vlm), synthesized there when missing
 * (~1.4 GB). Not a test: it prints Markdown tables; figures depend on the machine and its load.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { completeChat } from '../src/app/complete-chat.js';
import { createDocSight } from '../src/app/docsight.js';
import { loadConfig } from '../src/config/config.js';
import { formatTable } from '../src/eval/table.js';
import { synthesizeQwen3Vl } from '../src/models/synthetic/qwen3vl-synth.js';
import { createHttpServer } from '../src/serve/http/server.js';
import { testImage } from '../src/understand/engine/test-support/test-models.js';

const { values: args } = parseArgs({
  options: {
    models: {
      type: 'string',
      default: process.env.DOCSIGHT_BENCH_MODELS ?? join(tmpdir(), 'docsight-bench-models'),
    },
    threads: { type: 'string', default: '1' },
    reps: { type: 'string', default: '3' },
    tokens: { type: 'string', default: '16' },
    clients: { type: 'string', default: '1,4,16' },
    'upload-mb': { type: 'string', default: '300' },
    'no-upload': { type: 'boolean', default: false },
  },
});
const log = (msg: string): void => void process.stderr.write(`[bench:api] ${msg}\n`);
const maxTokens = Number(args.tokens);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

// ---------- memory: this process and its engine workers (children, grandchildren) ----------

function rssOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Pids below `root`, from /proc (Linux). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const [child, ppid] of parent) {
      if (ppid !== pid || found.includes(child)) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}

/** Samples RSS every 100 ms until stopped: peaks of this process and of its workers (excluding `exclude`). */
function sampleRss(exclude: () => number[] = () => []) {
  const peak = { server: process.memoryUsage.rss(), workers: 0 };
  const sample = () => {
    peak.server = Math.max(peak.server, process.memoryUsage.rss());
    const skip = exclude();
    const workers = descendants(process.pid).filter((pid) => !skip.includes(pid));
    peak.workers = Math.max(
      peak.workers,
      workers.reduce((sum, pid) => sum + rssOf(pid), 0),
    );
  };
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

// ---------- the run ----------

const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
log(`machine load at start: ${uptime()}`);
const model = join(args.models!, 'qwen3vl-full-q4_0.gguf');
const mmproj = join(args.models!, 'mmproj-qwen3vl-full-q8_0.gguf');
if (!existsSync(model) || !existsSync(mmproj)) {
  log(`synthesizing the full-size q4_0 model + q8_0 projector into ${args.models}`);
  await synthesizeQwen3Vl({ size: 'full', quant: 'q4_0', mmprojQuant: 'q8_0', outDir: args.models! });
}
const home = mkdtempSync(join(tmpdir(), 'bench-api-'));
const app = createDocSight(
  loadConfig({
    env: {},
    flags: {
      home,
      understand: { modelPath: model, mmprojPath: mmproj, threads: Number(args.threads), slots: 1 },
      intake: { maxFileBytes: Math.max(512, Number(args['upload-mb']) + 16) * 1024 ** 2 },
    },
  }),
);
const server = createHttpServer(app, { log });
await server.listen({ host: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 600_000 });
let variant = 0;
const dataUrl = async (side: number) =>
  `data:image/png;base64,${(await testImage(side, ++variant)).png.toString('base64')}`;
const question = (url: string) => [
  {
    role: 'user' as const,
    content: [
      { type: 'image_url' as const, image_url: { url } },
      { type: 'text' as const, text: 'What is written on this page?' },
    ],
  },
];

interface Timing {
  firstMs: number;
  totalMs: number;
  tokens: number;
}

async function viaHttp(url: string): Promise<Timing> {
  const start = performance.now();
  let firstMs = NaN;
  let tokens = 0;
  const stream = await client.chat.completions.create({
    model: 'm',
    messages: question(url),
    max_tokens: maxTokens,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta.content && Number.isNaN(firstMs)) firstMs = performance.now() - start;
    if (chunk.usage) tokens = chunk.usage.completion_tokens;
  }
  return { firstMs, totalMs: performance.now() - start, tokens };
}

async function direct(url: string): Promise<Timing> {
  const start = performance.now();
  let firstMs = NaN;
  let tokens = 0;
  const bytes = Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
  for await (const event of completeChat(app, {
    messages: [
      {
        role: 'user',
        content: [
          { type: 'image', bytes, detail: 'auto' },
          { type: 'text', text: 'What is written on this page?' },
        ],
      },
    ],
    maxTokens,
    temperature: 0,
  })) {
    if (event.type === 'text' && Number.isNaN(firstMs)) firstMs = performance.now() - start;
    if (event.type === 'done') tokens = event.usage?.completionTokens ?? 0;
  }
  return { firstMs, totalMs: performance.now() - start, tokens };
}

// Warm-up: the worker process starts and loads the model (not timed).
log('loading the model');
await direct(await dataUrl(64));

// 1. Overhead.
const runs: { http: Timing[]; direct: Timing[] } = { http: [], direct: [] };
for (let rep = 0; rep < Number(args.reps); rep++) {
  const order = rep % 2 === 0 ? (['http', 'direct'] as const) : (['direct', 'http'] as const);
  for (const path of order) {
    const url = await dataUrl(448);
    const timing = path === 'http' ? await viaHttp(url) : await direct(url);
    log(`448-px chat, ${path}: first token ${seconds(timing.firstMs)}, total ${seconds(timing.totalMs)}`);
    runs[path].push(timing);
  }
}
// Each pair ran back to back, so its ratio is less exposed to the machine's load drifting over the run; the
// last column is the median of the pairs' ratios, the runs are listed for the record.
const overheadRow = (name: string, pick: (t: Timing) => number) => {
  const ratios = runs.http.map((h, i) => pick(h) / pick(runs.direct[i]!));
  return [
    name,
    `${seconds(median(runs.http.map(pick)))} (${runs.http.map((t) => seconds(pick(t))).join(', ')})`,
    `${seconds(median(runs.direct.map(pick)))} (${runs.direct.map((t) => seconds(pick(t))).join(', ')})`,
    `${median(ratios).toFixed(3)} (${ratios.map((r) => r.toFixed(2)).join(', ')})`,
  ];
};
const overheadTable = formatTable(
  [
    '448-px image chat',
    'HTTP, openai client: median (runs)',
    'completeChat: median (runs)',
    'HTTP / direct: median of pairs (pairs)',
  ],
  [
    overheadRow('time to first token', (t) => t.firstMs),
    overheadRow('total', (t) => t.totalMs),
    [
      'tokens generated',
      runs.http.map((t) => t.tokens).join(', '),
      runs.direct.map((t) => t.tokens).join(', '),
      '',
    ],
  ],
);

// 2. Concurrency.
const concurrencyRows: string[][] = [];
for (const clients of args.clients!.split(',').map(Number)) {
  const urls = await Promise.all(Array.from({ length: clients }, () => dataUrl(128)));
  const rss = sampleRss();
  const start = performance.now();
  const outcomes = await Promise.all(
    urls.map(async (url) => {
      const t0 = performance.now();
      try {
        await client.chat.completions.create({
          model: 'm',
          messages: question(url),
          max_tokens: 4,
          temperature: 0,
        });
        return { ok: true, ms: performance.now() - t0 };
      } catch (err) {
        return { ok: false, status: (err as { status?: number }).status, ms: performance.now() - t0 };
      }
    }),
  );
  const wall = performance.now() - start;
  const peak = rss.stop();
  const ok = outcomes.filter((o) => o.ok).map((o) => o.ms);
  const limited = outcomes.filter((o) => !o.ok && o.status === 429).length;
  const failed = outcomes.filter((o) => !o.ok && o.status !== 429).length;
  log(
    `${clients} clients: ${ok.length} answered, ${limited} × 429, ${failed} other errors in ${seconds(wall)}`,
  );
  concurrencyRows.push([
    String(clients),
    String(ok.length),
    seconds(median(ok)),
    seconds(quantile(ok, 0.95)),
    String(limited),
    String(failed),
    seconds(wall),
    mib(peak.server),
    mib(peak.workers),
  ]);
}
const concurrencyTable = formatTable(
  [
    'clients',
    'answered',
    'p50',
    'p95',
    '429s',
    'other errors',
    'wall',
    'peak RSS server',
    'peak RSS workers',
  ],
  concurrencyRows,
);

// 3. Upload.
let uploadTable = '(skipped: --no-upload)';
if (!args['no-upload']) {
  const megabytes = Number(args['upload-mb']);
  const path = join(home, 'big.txt');
  log(`writing a ${megabytes} MB text file`);
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(path);
    const line = 'The quick brown fox jumps over the lazy dog; DocSight upload benchmark line.\n';
    const block = Buffer.from(line.repeat(Math.ceil((1024 * 1024) / line.length))).subarray(0, 1024 * 1024);
    let written = 0;
    const more = () => {
      while (written < megabytes) {
        written++;
        if (!out.write(block)) return void out.once('drain', more);
      }
      out.end();
    };
    out.on('finish', resolve).on('error', reject);
    more();
  });
  const before = process.memoryUsage.rss();
  let curlPid = 0;
  const rss = sampleRss(() => (curlPid ? [curlPid] : []));
  const start = performance.now();
  const status = await new Promise<string>((resolve, reject) => {
    const curl = spawn('curl', [
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-F',
      `file=@${path};filename=big.txt;type=text/plain`,
      `${base}/api/documents`,
    ]);
    curlPid = curl.pid ?? 0;
    let out = '';
    curl.stdout.on('data', (d: Buffer) => (out += d.toString()));
    curl.on('error', reject).on('close', () => resolve(out.trim()));
  });
  const ms = performance.now() - start;
  const peak = rss.stop();
  uploadTable = formatTable(
    ['upload', 'HTTP status', 'time', 'throughput', 'server RSS before', 'peak', 'growth'],
    [
      [
        `${megabytes} MB text file (curl -F)`,
        status,
        seconds(ms),
        `${(megabytes / (ms / 1000)).toFixed(0)} MB/s`,
        mib(before),
        mib(peak.server),
        mib(peak.server - before),
      ],
    ],
  );
}

await server.close();
await app.close();
rmSync(home, { recursive: true, force: true });
const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(', ');
process.stdout.write(
  `\n${overheadTable}\n\n${concurrencyTable}\n\n${uploadTable}\n\n` +
    `threads ${args.threads}, 1 slot, max_tokens ${maxTokens} (overhead) / 4 (concurrency); ` +
    `load average at the end: ${load}; ${uptime()}\n`,
);
