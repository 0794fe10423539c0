/**
 * bench/slots.ts — memory of llama slots: 1 vs N worker processes over the same synthetic GGUFs.
 *
 * Each slot is a worker process that loads the model. The text weights are mmap'd, so pages the workers
 * only read are one copy in the page cache, counted in every worker's RSS but split between them in PSS
 * (proportional set size). Weights that llama.cpp copies into its own buffers (the vision projector, CPU
 * repacking of quantised matrices), the KV cache and compute buffers are private to each worker.
 * This prints, per slot count, every worker's RSS, PSS and private memory after one answer on each slot
 * (an image and a few tokens, so the vision buffers are allocated too), and the total PSS: the memory the
 * slots really cost together. A second table shows how fast a cancel frees a slot: one slot busy with an
 * endless generation, a short request queued behind it, the caller cancels; time from the cancel to the
 * queued request's first text (its own prompt evaluation included).
 *
 *   npx tsx bench/slots.ts [--sizes tiny,full] [--quant q8_0] [--slots 1,2] [--threads 1] [--models DIR]
 *
 * Not a test: it prints a Markdown table. Linux only (reads /proc/<pid>/smaps_rollup).
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { loadConfig } from '../src/config/config.js';
import { formatTable } from '../src/eval/table.js';
import { createConfiguredEngine } from '../src/understand/create-engine.js';
import type { LlamaEngine } from '../src/understand/engine/llama-engine.js';
import { synthesizeQwen3Vl, type SynthQuant, type SynthSize } from '../src/models/synthetic/qwen3vl-synth.js';
import { collectText } from '../src/understand/vision-language-engine.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: 'tiny,full' },
    quant: { type: 'string', default: 'q8_0' },
    slots: { type: 'string', default: '1,2' },
    threads: { type: 'string', default: '1' },
    models: { type: 'string', default: join(tmpdir(), 'docsight-bench-models') },
  },
});

/** kB figures of one process from /proc/<pid>/smaps_rollup. */
function memoryOf(pid: number): { rss: number; pss: number; private: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rss: kb('Rss'), pss: kb('Pss'), private: kb('Private_Clean') + kb('Private_Dirty') };
}

const mb = (kb: number) => (kb / 1024).toFixed(0);

async function page(): Promise<{ png: Buffer; sha256: string }> {
  const size = 224;
  const rgb = Buffer.alloc(size * size * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 7919) % 251;
  const png = await sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();
  return { png, sha256: 'bench-page' };
}

const rows: string[][] = [];
const cancelRows: string[][] = [];
const image = await page();
for (const size of args.sizes.split(',') as SynthSize[]) {
  const quant = args.quant as SynthQuant;
  const files = await synthesizeQwen3Vl({ size, quant, outDir: join(args.models, `slots-${size}`) });
  for (const slots of args.slots.split(',').map(Number)) {
    const config = loadConfig({
      env: {},
      flags: {
        home: join(args.models, 'home'),
        understand: {
          modelPath: files.model,
          mmprojPath: files.mmproj,
          slots,
          threads: Number(args.threads),
          contextSize: 4096,
        },
      },
    });
    const { engine } = createConfiguredEngine(config);
    try {
      // One request per slot at once: the scheduler gives each its own worker.
      await Promise.all(
        Array.from({ length: slots }, (_, i) =>
          collectText(
            engine.chat({
              messages: [{ role: 'user', content: `Describe page ${i}.` }],
              images: [image],
              maxTokens: 4,
            }),
          ),
        ),
      );
      const workers = (engine.slots as LlamaEngine[]).map((slot) => memoryOf(slot.pid!));
      rows.push([
        `${size} ${quant}`,
        String(slots),
        workers.map((w) => mb(w.rss)).join(' + '),
        workers.map((w) => mb(w.pss)).join(' + '),
        workers.map((w) => mb(w.private)).join(' + '),
        mb(workers.reduce((sum, w) => sum + w.pss, 0)),
        mb((files.modelBytes + files.mmprojBytes) / 1024),
      ]);
      if (slots === 1) cancelRows.push([`${size} ${quant}`, ...(await cancelLatency(engine))]);
    } finally {
      await engine.close();
    }
  }
}

/** Cancels a long generation with a short request queued behind it: ms until the short one's first text. */
async function cancelLatency(engine: ReturnType<typeof createConfiguredEngine>['engine']): Promise<string[]> {
  const controller = new AbortController();
  let cancelledAt = 0;
  let pieces = 0;
  const long = (async () => {
    const stream = engine.chatOnSlot(
      { messages: [{ role: 'user', content: 'Write a long essay.' }], signal: controller.signal },
      (slot, request) => (slot as LlamaEngine).chat({ ...request, maxTokens: 2000, ignoreEos: true }),
    );
    for await (const delta of stream) {
      if (delta.type === 'text' && ++pieces === 8) {
        cancelledAt = performance.now();
        controller.abort();
      }
    }
  })();
  let firstTextAt = 0;
  for await (const delta of engine.chat({ messages: [{ role: 'user', content: 'Hi' }], maxTokens: 2 })) {
    if (delta.type === 'text' && firstTextAt === 0) firstTextAt = performance.now();
  }
  await long;
  // The same kind of request on an idle slot: what the queued one would have taken without the cancel.
  const idleStart = performance.now();
  let idleFirstText = 0;
  for await (const delta of engine.chat({ messages: [{ role: 'user', content: 'Hey' }], maxTokens: 2 })) {
    if (delta.type === 'text' && idleFirstText === 0) idleFirstText = performance.now();
  }
  // Pieces already generated or in flight when the worker saw the abort.
  return [String(pieces - 8), (firstTextAt - cancelledAt).toFixed(0), (idleFirstText - idleStart).toFixed(0)];
}

console.log(
  formatTable(
    [
      'model',
      'slots',
      'RSS MB per worker',
      'PSS MB per worker',
      'private MB per worker',
      'total PSS MB',
      'files MB',
    ],
    rows,
  ),
);
console.log();
console.log(
  formatTable(
    [
      'model',
      'pieces after the cancel',
      'cancel → queued request first text, ms',
      'same request on an idle slot, ms',
    ],
    cancelRows,
  ),
);
