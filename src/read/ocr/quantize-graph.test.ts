import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { editDistance, nonWhitespaceChars, normalizeText } from '../../eval/ocr/score.js';
import { decodeCtc } from './ctc.js';
import { loadDictionary, defaultModelPaths } from './models.js';
import {
  FOLD_VERSION,
  preparedInt8Model,
  preparedModel,
  QUANT_VERSION,
  type PreparedModel,
} from './model-cache.js';
import { parseOnnx } from './onnx-graph.js';
import { activationParams, int8Convs, quantizeWeights } from './quantize-graph.js';
import { RECOGNIZER_CALIBRATION } from './rec-calibration-ranges.js';
import { calibrationDigest } from './rec-calibration.js';
import { TEST_FONTS } from '../../test-support/test-fonts.js';
import { cropTextLine } from './crop.js';
import { toRgb } from './pixels.js';
import { packStrips, REC_HEIGHT } from './recognize.js';
import { renderLine } from './test-support/test-pages.js';

describe('quantizeWeights', () => {
  it('gives each output channel its own scale and rounds every weight to within half a step', () => {
    const w = Float32Array.from([0.5, -1.27, 0.01, 0, 100, -3, 0, 0, 0]);
    const { scales, q } = quantizeWeights(w, 3);
    expect([...scales]).toEqual([Math.fround(1.27 / 127), Math.fround(100 / 127), 1]);
    expect(q[1]).toBe(-127);
    expect(q[4]).toBe(127);
    for (let i = 0; i < w.length; i++)
      expect(Math.abs(q[i]! * scales[Math.floor(i / 3)]! - w[i]!)).toBeLessThanOrEqual(
        scales[Math.floor(i / 3)]! / 2 + 1e-7,
      );
  });
});

describe('activationParams', () => {
  it('covers the range and 0, and maps 0 to a whole zero point (zero padding stays exact)', () => {
    const p = activationParams({ min: -0.375, max: 9.5 });
    expect(Number.isInteger(p.zeroPoint)).toBe(true);
    expect(Math.abs(p.zeroPoint * p.scale - 0.375)).toBeLessThanOrEqual(p.scale / 2);
    expect((255 - p.zeroPoint) * p.scale).toBeGreaterThanOrEqual(9.5 - p.scale);
    expect(activationParams({ min: 0.2, max: 4 }).zeroPoint).toBe(0);
    expect(activationParams({ min: 0, max: 0 }).scale).toBe(1);
  });
});

describe('the int8 recogniser (preparedInt8Model)', () => {
  const dirs = [mkdtempSync(join(tmpdir(), 'docsight-q8-a-')), mkdtempSync(join(tmpdir(), 'docsight-q8-b-'))];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const source = defaultModelPaths().recognition;

  const path = (m: PreparedModel | undefined) => (m && 'path' in m ? m.path : '');

  it('is named by the model file, the rewrites and the committed calibration table, and made the same twice', () => {
    const [a, b] = dirs.map((d) => preparedInt8Model(source, d));
    expect(path(a)).toMatch(
      new RegExp(
        `\\.[0-9a-f]{16}\\.fold${FOLD_VERSION}\\.q8v${QUANT_VERSION}-${calibrationDigest(RECOGNIZER_CALIBRATION)}\\.onnx$`,
      ),
    );
    expect(readFileSync(path(a)).equals(readFileSync(path(b)))).toBe(true);
  });

  it('is byte-identical in a process that has no font at all (nothing on its path draws text)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'docsight-q8-nofonts-'));
    try {
      // fontconfig with no font folder: any text drawn there would come out as hex boxes or nothing.
      const fontsConf = join(dir, 'fonts.conf');
      writeFileSync(
        fontsConf,
        `<?xml version="1.0"?><fontconfig><cachedir>${dir}/fc</cachedir></fontconfig>`,
      );
      const script = join(dir, 'build-int8.mts');
      const url = (name: string) => JSON.stringify(new URL(name, import.meta.url).href);
      writeFileSync(
        script,
        [
          `import { preparedInt8Model } from ${url('./model-cache.ts')};`,
          `const m = preparedInt8Model(${JSON.stringify(source)}, ${JSON.stringify(join(dir, 'cache'))});`,
          `console.log('path' in m ? m.path : '');`,
        ].join('\n'),
      );
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
        env: { ...process.env, FONTCONFIG_FILE: fontsConf },
        timeout: 60_000,
      });
      const here = preparedInt8Model(source, dirs[0]!);
      expect(stdout.trim()).not.toBe('');
      expect(readFileSync(stdout.trim()).equals(readFileSync(path(here)))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gets a new name when the calibration table changes, and is the float model for a file the table does not belong to', () => {
    const table = structuredClone(RECOGNIZER_CALIBRATION);
    const [first] = Object.keys(table.ranges);
    table.ranges[first!] = [-1, 1];
    expect(path(preparedInt8Model(source, dirs[1]!, table))).not.toBe(
      path(preparedInt8Model(source, dirs[1]!)),
    );
    const other = { ...RECOGNIZER_CALIBRATION, sourceSha256: '0'.repeat(64) };
    expect(preparedInt8Model(source, dirs[1]!, other)).toEqual(preparedModel(source, dirs[1]!));
  });

  it('runs its convolutions as QLinearConv in onnxruntime and reads lines as the float model does', async () => {
    const q8 = preparedInt8Model(source, dirs[0]!);
    const float = preparedModel(source, dirs[0]!);
    const optimized = join(dirs[0]!, 'optimized.onnx');
    const open = (m: PreparedModel, extra: ort.InferenceSession.SessionOptions = {}) =>
      'path' in m
        ? ort.InferenceSession.create(m.path, { intraOpNumThreads: 1, ...extra })
        : ort.InferenceSession.create(m.bytes, { intraOpNumThreads: 1, ...extra });
    const q = await open(q8, { optimizedModelFilePath: optimized, graphOptimizationLevel: 'all' });
    const f = await open(float);
    const ops = parseOnnx(readFileSync(optimized)).nodes.map((n) => n.opType);
    const chosen = int8Convs(parseOnnx(readFileSync(source))).length;
    // The pointwise 128- to 480-channel convolutions of the backbone and neck (12 in PP-OCRv4 rec).
    expect(chosen).toBeGreaterThanOrEqual(10);
    expect(ops.filter((o) => o === 'QLinearConv').length).toBe(chosen);
    // Lines the calibration never saw: other texts, sizes, a grey, low-contrast strip.
    const dictionary = loadDictionary(defaultModelPaths().dictionary);
    const lines = [
      { text: 'Subtotal before tax: 4,096.00 USD', size: 26 },
      { text: 'Meeting room B, 3rd floor (ask at reception)', size: 34 },
      { text: '发票号码 No. 00417 开票日期 2023年5月8日', size: 30, font: TEST_FONTS.zh },
      { text: 'Signature of the applicant', size: 22, font: TEST_FONTS.serif },
    ];
    let worst = 0;
    let errors = 0;
    let chars = 0;
    for (const line of lines) {
      const img = toRgb(await renderLine(line.text, line.size, line.font));
      const strip = cropTextLine(img, [0, 0, img.width, 0, img.width, img.height, 0, img.height], REC_HEIGHT);
      const width = Math.ceil(strip.width / 8) * 8;
      const dims = [1, 3, REC_HEIGHT, width];
      const input = packStrips([strip], REC_HEIGHT, width);
      const read = async (s: ort.InferenceSession) => {
        const out = (await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', input, dims) }))[
          s.outputNames[0]!
        ]!;
        return decodeCtc(out.data as Float32Array, 0, out.dims[1]!, out.dims[2]!, dictionary);
      };
      const [a, b] = [await read(f), await read(q)];
      // As the evaluation compares text: NFKC (the model's ")" and "）" are one character to a reader), no spaces.
      const [ta, tb] = [a.text, b.text].map((t) => nonWhitespaceChars(normalizeText(t)));
      errors += editDistance(ta!, tb!);
      chars += ta!.length;
      worst = Math.max(worst, Math.abs(a.confidence - b.confidence));
    }
    // int8 rounding may tip a near-tie (here once: a stray CJK character in the blank tail of a strip, where
    // the float model's best non-blank class is already close to blank). One change in ~130 characters is
    // 0.8 %; the dev splits measure the real difference (README). A broken quantisation reads garbage.
    expect(errors / chars).toBeLessThan(0.02);
    // A line's mean confidence moves by rounding, and by the stray character's own low probability where it
    // appears (0.034 on the CJK line); 0.05 stays far from the engine's 0.5 minimum-confidence cut.
    expect(worst).toBeLessThan(0.05);
    await Promise.all([q.release(), f.release()]);
  });
});
