import { describe, expect, it } from 'vitest';
import { convexHull, minAreaRect, quadArea, quadSize, rectToQuad, type Point } from './geometry.js';

describe('minAreaRect', () => {
  it('fits an axis-aligned box exactly, width along x', () => {
    const pts: Point[] = [
      [10, 20],
      [110, 20],
      [110, 50],
      [10, 50],
      [60, 35],
    ];
    const r = minAreaRect(pts);
    expect(r.width).toBeCloseTo(100);
    expect(r.height).toBeCloseTo(30);
    expect(rectToQuad(r).map((v) => Math.round(v))).toEqual([10, 20, 110, 20, 110, 50, 10, 50]);
  });

  it('recovers a rectangle rotated by 3°, keeping the text direction as width', () => {
    const a = (3 * Math.PI) / 180;
    const corners: Point[] = [
      [0, 0],
      [200, 0],
      [200, 20],
      [0, 20],
    ].map(([x, y]) => [100 + x! * Math.cos(a) - y! * Math.sin(a), 100 + x! * Math.sin(a) + y! * Math.cos(a)]);
    const r = minAreaRect(corners);
    expect(r.width).toBeCloseTo(200, 5);
    expect(r.height).toBeCloseTo(20, 5);
    expect(Math.atan2(r.uy, r.ux)).toBeCloseTo(a, 5);
    const q = rectToQuad(r);
    // Corner 0 is the top-left of the text.
    expect(q[0]).toBeCloseTo(100, 5);
    expect(q[1]).toBeCloseTo(100, 5);
  });

  it('calls a tall box tall (vertical text keeps height > width)', () => {
    const r = minAreaRect([
      [0, 0],
      [20, 0],
      [20, 200],
      [0, 200],
    ]);
    const { width, height } = quadSize(rectToQuad(r));
    expect(height / width).toBeCloseTo(10);
  });
});

describe('convexHull / quadArea', () => {
  it('drops interior points and measures area', () => {
    const hull = convexHull([
      [0, 0],
      [4, 0],
      [4, 3],
      [0, 3],
      [2, 1],
    ]);
    expect(hull).toHaveLength(4);
    expect(quadArea([0, 0, 4, 0, 4, 3, 0, 3])).toBe(12);
  });
});
