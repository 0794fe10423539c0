import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cropTextLine } from './crop.js';
import { defaultModelPaths, loadModel, type ModelRunner } from './models.js';
import { classifyStrips, mostlyUpsideDown, sampleForVote, tallShare } from './orientation.js';
import { rotateRgb, toRgb } from './pixels.js';
import { REC_HEIGHT } from './recognize.js';
import { renderLine } from './test-support/test-pages.js';

describe('tallShare / sampleForVote / mostlyUpsideDown', () => {
  it('weighs boxes by length, so a sideways page reads as mostly tall', () => {
    const wide = [0, 0, 300, 0, 300, 30, 0, 30] as const;
    const tall = [0, 0, 30, 0, 30, 300, 0, 300] as const;
    expect(tallShare([[...tall], [...tall], [...wide]])).toBeCloseTo(2 / 3);
    expect(tallShare([])).toBe(0);
    expect(sampleForVote([[...wide], [...tall], [0, 0, 10, 0, 10, 5, 0, 5]], 2)).toHaveLength(2);
  });

  it('needs a confident two-to-one majority to call a page upside down', () => {
    expect(mostlyUpsideDown([{ angle: 180, prob: 0.99 }])).toBe(true);
    expect(
      mostlyUpsideDown([
        { angle: 180, prob: 0.99 },
        { angle: 0, prob: 0.99 },
      ]),
    ).toBe(false);
    expect(mostlyUpsideDown([{ angle: 180, prob: 0.6 }])).toBe(false);
  });
});

describe('classifyStrips on the real direction classifier', () => {
  let cls: ModelRunner;
  beforeAll(async () => {
    cls = await loadModel(defaultModelPaths().classifier, 1);
  });
  afterAll(async () => {
    await cls.close();
  });

  it('tells upright lines from upside-down ones', async () => {
    const texts = ['Delivery address and phone number', 'Total amount payable 89.90'];
    const strips = await Promise.all(
      texts.map(async (t) => {
        const img = toRgb(await renderLine(t, 32));
        return cropTextLine(img, [0, 0, img.width, 0, img.width, img.height, 0, img.height], REC_HEIGHT);
      }),
    );
    const flipped = strips.map((s) => rotateRgb(s, 180));
    const votes = await classifyStrips(cls, [...strips, ...flipped], 4);
    expect(votes.map((v) => v.angle)).toEqual([0, 0, 180, 180]);
    for (const v of votes) expect(v.prob).toBeGreaterThan(0.8);
  });

  it('judges a long lower-case line by unsqueezed windows (squeezed, it read as upside down)', async () => {
    const img = toRgb(
      await renderLine('revenue report quick payable invoice fox address quick revenue brown the', 40),
    );
    const strip = cropTextLine(img, [0, 0, img.width, 0, img.width, img.height, 0, img.height], REC_HEIGHT);
    const votes = await classifyStrips(cls, [strip, rotateRgb(strip, 180)], 8);
    expect(votes.map((v) => v.angle)).toEqual([0, 180]);
  });
});
