import { describe, expect, it } from 'vitest';
import { isDocSightError } from '../../errors.js';
import { assertRawImage, normaliseContrast, rotateRgb, toRgb, unrotatePoint } from './pixels.js';

describe('toRgb', () => {
  it('expands grey and composites RGBA onto white', () => {
    expect([...toRgb({ data: new Uint8Array([7]), width: 1, height: 1, channels: 1 }).data]).toEqual([
      7, 7, 7,
    ]);
    const transparentBlack = toRgb({ data: new Uint8Array([0, 0, 0, 0]), width: 1, height: 1, channels: 4 });
    expect([...transparentBlack.data]).toEqual([255, 255, 255]);
  });
});

describe('assertRawImage', () => {
  it('rejects a buffer that does not match the declared size with BAD_REQUEST', () => {
    try {
      assertRawImage({ data: new Uint8Array(5), width: 2, height: 2, channels: 3 });
      expect.unreachable();
    } catch (err) {
      expect(isDocSightError(err, 'BAD_REQUEST')).toBe(true);
      expect((err as Error).message).toMatch(/needs 12/);
    }
  });
});

describe('normaliseContrast', () => {
  it('stretches a faded page to the full range and leaves a crisp one alone', () => {
    const faded = { data: new Uint8Array(300).map((_, i) => (i < 150 ? 180 : 210)), width: 10, height: 10 };
    const out = normaliseContrast(faded);
    expect(Math.min(...out.data)).toBe(0);
    expect(Math.max(...out.data)).toBe(255);
    const crisp = { data: new Uint8Array(300).map((_, i) => (i < 150 ? 0 : 255)), width: 10, height: 10 };
    expect(normaliseContrast(crisp)).toBe(crisp);
  });
});

describe('rotateRgb / unrotatePoint', () => {
  it('are inverse: a pixel moved by a turn maps back to where it was', () => {
    const img = { data: new Uint8Array(2 * 3 * 3), width: 3, height: 2 };
    img.data[(1 * 3 + 2) * 3] = 99; // pixel (x=2, y=1)
    for (const deg of [90, 180, 270] as const) {
      const r = rotateRgb(img, deg);
      const at = r.data.indexOf(99) / 3;
      const [x, y] = [at % r.width, Math.floor(at / r.width)];
      // Pixel centres: continuous coordinates (x+0.5, y+0.5).
      const [ox, oy] = unrotatePoint(x + 0.5, y + 0.5, deg, 3, 2);
      expect([ox - 0.5, oy - 0.5]).toEqual([2, 1]);
    }
  });
});
