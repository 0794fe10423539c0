/**
 * Where the OCR time goes on one dense page: CPU seconds per engine stage, and onnxruntime's own trace summed
 * by operator type per model (with the number of model calls and the time spent outside the nodes).
 *
 *   npx tsx bench/lib/ocr-profile.ts [--lang en|zh | --image FILE] [--threads 1] [--runs 2] [--no-trace] [--nodes N]
 *
 * The page is a 300-dpi A4 sheet of about 60 lines. Tracing slows every node a little, so stage times are
 * taken from the runs without the trace (`--no-trace` skips the traced run altogether).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { loadConfig } from '../../src/config/config.js';
import { formatTable } from '../../src/eval/table.js';
import { ZH_PASSAGES } from '../../src/eval/zh/passages.js';
import { renderTextPage } from '../../src/eval/zh/render-page.js';
import { createOcrEngine, type OcrStage } from '../../src/read/ocr/engine.js';
import type { RawImage } from '../../src/read/types.js';
import { A4_300DPI, ENGLISH_LETTER } from './ocr-pages.js';

const { values } = parseArgs({
  options: {
    lang: { type: 'string', default: 'en' },
    /** Profile this image file instead of the generated dense page. */
    image: { type: 'string' },
    threads: { type: 'string', default: '1' },
    runs: { type: 'string', default: '2' },
    'no-trace': { type: 'boolean', default: false },
    /** Also list the slowest nodes of each model. */
    nodes: { type: 'string', default: '0' },
  },
});
const threads = Number(values.threads);
const runs = Number(values.runs);

/** A dense page: smaller type and tighter lines than the benchmark's letter, so it holds about 60 lines. */
async function densePage(lang: string): Promise<{ image: RawImage; lines: number }> {
  const paragraphs =
    lang === 'zh'
      ? ZH_PASSAGES.flatMap((p) => p.paragraphs)
      : [...ENGLISH_LETTER, ...ENGLISH_LETTER, ...ENGLISH_LETTER];
  const page = await renderTextPage({
    ...A4_300DPI,
    fontSize: 36,
    lineSpacing: 1.3,
    fontFamily: lang === 'zh' ? 'Noto Sans CJK SC' : 'DejaVu Serif',
    paragraphs,
  });
  const { data, info } = await sharp(page.image).raw().toBuffer({ resolveWithObject: true });
  return {
    image: { data, width: info.width, height: info.height, channels: info.channels as 1 | 3 },
    lines: page.lines.length,
  };
}

/** One node's entry in onnxruntime's Chrome-trace profile. */
interface TraceEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string; output_type_shape?: Record<string, number[]>[] };
}

/** Sums a trace by operator type; also the model runs' total and count, so the time between nodes shows. */
function summariseTrace(path: string) {
  const events = JSON.parse(readFileSync(path, 'utf8')) as TraceEvent[];
  const byOp = new Map<string, { us: number; nodes: number }>();
  const byNode = new Map<string, { op: string; us: number; runs: number; shape: string }>();
  let nodeUs = 0;
  let runUs = 0;
  let calls = 0;
  for (const e of events) {
    if (e.cat === 'Session' && e.name === 'model_run') {
      runUs += e.dur;
      calls++;
    }
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    const entry = byOp.get(op) ?? { us: 0, nodes: 0 };
    entry.us += e.dur;
    entry.nodes++;
    byOp.set(op, entry);
    nodeUs += e.dur;
    const name = e.name.replace(/_kernel_time$/, '');
    const node = byNode.get(name) ?? { op, us: 0, runs: 0, shape: '' };
    node.us += e.dur;
    node.runs++;
    node.shape = JSON.stringify(Object.values(e.args?.output_type_shape?.[0] ?? {})[0] ?? []);
    byNode.set(name, node);
  }
  return { byOp, byNode, nodeUs, runUs, calls };
}

async function imageFile(path: string): Promise<{ image: RawImage; lines: number }> {
  const { data, info } = await sharp(path).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return {
    image: { data, width: info.width, height: info.height, channels: info.channels as 1 | 3 },
    lines: 0,
  };
}

const { image, lines } = values.image ? await imageFile(values.image) : await densePage(values.lang);
const config = loadConfig({ flags: { ocr: { threads } } }).ocr;
const stageCpu = new Map<OcrStage, number>();
const stageWall = new Map<OcrStage, number>();
const engine = await createOcrEngine(config, {
  onStage(stage, cpu, wall) {
    stageCpu.set(stage, (stageCpu.get(stage) ?? 0) + cpu);
    stageWall.set(stage, (stageWall.get(stage) ?? 0) + wall);
  },
});
await engine.recognize(image); // warm-up: onnxruntime sizes its buffers on the first runs
stageCpu.clear();
stageWall.clear();
let found = 0;
const cpuBefore = process.cpuUsage();
for (let i = 0; i < runs; i++) found = (await engine.recognize(image)).lines.length;
const used = process.cpuUsage(cpuBefore);
await engine.close();
const totalCpu = (used.user + used.system) / 1e6 / runs;

process.stdout.write(
  `OCR profile, ${new Date().toISOString()}, ` +
    (values.image
      ? `${values.image} (${image.width}×${image.height}), ${found} lines read, `
      : `${values.lang} A4 300 dpi, ${lines} lines drawn, ${found} read, `) +
    `${threads} thread(s), recogniser ${config.precision}, mean of ${runs} runs, load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}\n\n` +
    formatTable(
      ['stage', 'CPU s', 'wall s', 'share of CPU'],
      [
        ...[...stageCpu].map(([stage, cpu]) => [
          stage,
          (cpu / runs).toFixed(3),
          (stageWall.get(stage)! / runs).toFixed(3),
          `${((100 * cpu) / runs / totalCpu).toFixed(1)} %`,
        ]),
        ['page total', totalCpu.toFixed(3), '', ''],
      ],
    ) +
    '\n',
);

if (!values['no-trace']) {
  const dir = mkdtempSync(join(tmpdir(), 'docsight-ocr-profile-'));
  try {
    const traced = await createOcrEngine(config, { profileDir: dir });
    await traced.recognize(image);
    await traced.close();
    for (const file of readdirSync(dir).sort()) {
      const { byOp, byNode, nodeUs, runUs, calls } = summariseTrace(join(dir, file));
      const rows = [...byOp]
        .sort((a, b) => b[1].us - a[1].us)
        .map(([op, { us, nodes }]) => [
          op,
          String(nodes),
          (us / 1000).toFixed(1),
          `${((100 * us) / nodeUs).toFixed(1)} %`,
        ]);
      process.stdout.write(
        `\n${file.split('_')[0]} model (warm-up page, traced): ${calls} calls, ${(runUs / 1000).toFixed(1)} ms in runs, ` +
          `${((runUs - nodeUs) / 1000).toFixed(1)} ms of it outside nodes\n` +
          formatTable(['op type', 'node runs', 'ms', 'share of node time'], rows) +
          '\n',
      );
      const top = Number(values.nodes);
      if (top > 0) {
        const slowest = [...byNode]
          .sort((a, b) => b[1].us - a[1].us)
          .slice(0, top)
          .map(([name, n]) => [
            name,
            n.op,
            n.shape,
            (n.us / 1000).toFixed(1),
            `${((100 * n.us) / nodeUs).toFixed(1)} %`,
          ]);
        process.stdout.write(formatTable(['node', 'op', 'last output shape', 'ms', 'share'], slowest) + '\n');
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
