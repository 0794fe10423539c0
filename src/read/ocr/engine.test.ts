import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.js';
import { isDocSightError } from '../../errors.js';
import type { Quad } from '../types.js';
import { createOcrEngine, type OcrEngine } from './engine.js';
import { quadBounds } from './geometry.js';
import { renderLine, renderPage, rotateRaw } from './test-support/test-pages.js';
import type { RawImage } from '../types.js';

/** Copies `patch` (same channel count) into `page` with its top-left corner at (x, y). */
function paste(page: RawImage, patch: RawImage, x: number, y: number): RawImage {
  const data = new Uint8Array(page.data);
  const c = page.channels;
  for (let row = 0; row < patch.height; row++) {
    const from = row * patch.width * c;
    data.set(patch.data.subarray(from, from + patch.width * c), ((y + row) * page.width + x) * c);
  }
  return { ...page, data };
}

const config = configSchema.parse({ home: '/tmp/docsight-ocr-test' }).ocr;

const LINES = ['Quarterly Report 2024', 'Revenue grew by 12 percent', 'Please read the User Manual'];
const spec = {
  width: 1000,
  height: 420,
  lines: LINES.map((text, i) => ({ text, x: 60, y: 100 + i * 110, size: 40 })),
};

describe('createOcrEngine', () => {
  let ocr: OcrEngine;
  beforeAll(async () => {
    ocr = await createOcrEngine(config);
  });
  afterAll(async () => {
    await ocr.close();
  });

  it('reads a page: lines in reading order, boxes where the text was drawn, blocks numbered', async () => {
    const result = await ocr.recognize(await renderPage(spec));
    expect(result).toMatchObject({ width: 1000, height: 420, rotation: 0 });
    expect(result.lines.map((l) => l.text)).toEqual(LINES);
    result.lines.forEach((line, i) => {
      const b = quadBounds(line.box);
      const baseline = spec.lines[i]!.y;
      expect(b.minY).toBeLessThan(baseline - 20);
      expect(b.maxY).toBeGreaterThan(baseline);
      expect(Math.abs(b.minX - 60)).toBeLessThan(20);
      expect(line.confidence).toBeGreaterThan(0.9);
      expect(typeof line.block).toBe('number');
    });
  });

  it('reads grey and RGBA input the same as RGB', async () => {
    const grey = await ocr.recognize(await renderPage({ ...spec, channels: 1 }));
    const rgba = await ocr.recognize(await renderPage({ ...spec, channels: 4 }));
    expect(grey.lines.map((l) => l.text)).toEqual(LINES);
    expect(rgba.lines.map((l) => l.text)).toEqual(LINES);
  });

  it.each([90, 180, 270] as const)(
    'reads a page turned by %i° and reports boxes on the page as given',
    async (turn) => {
      const page = await rotateRaw(await renderPage(spec), turn);
      const result = await ocr.recognize(page);
      // Turning the page back upright takes the remaining clockwise quarter turns.
      expect(result.rotation).toBe((360 - turn) % 360);
      expect(result.lines.map((l) => l.text)).toEqual(LINES);
      expect(result.width).toBe(page.width);
      for (const line of result.lines) {
        const b = quadBounds(line.box);
        expect(b.minX).toBeGreaterThanOrEqual(-2);
        expect(b.maxX).toBeLessThanOrEqual(page.width + 2);
        expect(b.maxY).toBeLessThanOrEqual(page.height + 2);
      }
      // On a page turned a quarter, a line's box is tall in the given pixels.
      const first = quadBounds(result.lines[0]!.box as Quad);
      if (turn !== 180) expect(first.maxY - first.minY).toBeGreaterThan(first.maxX - first.minX);
    },
  );

  it('reads a faint, low-contrast page', async () => {
    const result = await ocr.recognize(await renderPage({ ...spec, ink: '#b0b0b0', paper: '#cccccc' }));
    expect(result.lines.map((l) => l.text)).toEqual(LINES);
  });

  it('gives the same answer to concurrent calls', async () => {
    const page = await renderPage(spec);
    const [a, b] = await Promise.all([ocr.recognize(page), ocr.recognize(page)]);
    expect(a.lines.map((l) => l.text)).toEqual(LINES);
    expect(b).toEqual(a);
  });

  it('returns no lines for a blank page', async () => {
    const result = await ocr.recognize(await renderPage({ width: 400, height: 300, lines: [] }));
    expect(result.lines).toEqual([]);
  });

  it('rejects a malformed image with BAD_REQUEST and a cancelled call with CANCELLED', async () => {
    await expect(
      ocr.recognize({ data: new Uint8Array(10), width: 5, height: 5, channels: 3 }),
    ).rejects.toSatisfy((e) => isDocSightError(e, 'BAD_REQUEST'));
    const controller = new AbortController();
    controller.abort();
    await expect(ocr.recognize(await renderPage(spec), { signal: controller.signal })).rejects.toSatisfy(
      (e) => isDocSightError(e, 'CANCELLED'),
    );
  });
});

describe('createOcrEngine line orientation', () => {
  /** Reads a page with an engine that records which stages ran. */
  async function readWithStages(page: RawImage): Promise<{ texts: string[]; stages: Set<string> }> {
    const stages = new Set<string>();
    const ocr = await createOcrEngine(config, { onStage: (stage) => stages.add(stage) });
    try {
      return { texts: (await ocr.recognize(page)).lines.map((l) => l.text), stages };
    } finally {
      await ocr.close();
    }
  }

  it('skips the per-line classifier on a page whose lines are all upright', async () => {
    const { texts, stages } = await readWithStages(await renderPage(spec));
    expect(texts).toEqual(LINES);
    expect(stages.has('page-orientation')).toBe(true);
    expect(stages.has('line-orientation')).toBe(false);
  });

  it('turns the one upside-down line of an upright page', async () => {
    const upside = 'Shipped on 3 March';
    const page = paste(
      await renderPage({ ...spec, height: 560 }),
      await rotateRaw(await renderLine(upside, 40), 180),
      60,
      440,
    );
    const { texts, stages } = await readWithStages(page);
    expect(stages.has('line-orientation')).toBe(true);
    expect(texts).toEqual([...LINES, upside]);
  });
});

describe('createOcrEngine with a missing model', () => {
  it('fails with MODEL_MISSING naming the file', async () => {
    const err = await createOcrEngine(config, { models: { detection: '/nonexistent/det.onnx' } }).catch(
      (e: unknown) => e,
    );
    expect(isDocSightError(err, 'MODEL_MISSING')).toBe(true);
    expect((err as Error).message).toContain('/nonexistent/det.onnx');
  });
});
