import { describe, expect, it } from 'vitest';
import { fitToTokenBudget } from './token-budget.js';

describe('fitToTokenBudget', () => {
  it('scales an A4 page at 300 dpi down to the budget on the 32-px grid, keeping the aspect ratio', () => {
    const fitted = fitToTokenBudget(2480, 3508, 256);
    expect(fitted.tokens).toBeLessThanOrEqual(256);
    expect(fitted.tokens).toBeGreaterThan(220);
    expect(fitted.width % 32).toBe(0);
    expect(fitted.height % 32).toBe(0);
    expect(fitted.height / fitted.width).toBeCloseTo(3508 / 2480, 1);
  });

  it('gives 196 tokens for a 448-px square, as the encoder counts them', () => {
    expect(fitToTokenBudget(448, 448, 1024)).toEqual({ width: 448, height: 448, tokens: 196 });
  });

  it('never upscales a small image past the grid rounding', () => {
    expect(fitToTokenBudget(100, 60, 1024)).toEqual({ width: 96, height: 64, tokens: 6 });
  });

  it('keeps at least one token for extreme shapes and tiny budgets', () => {
    expect(fitToTokenBudget(20000, 10, 4).tokens).toBeLessThanOrEqual(4);
    expect(fitToTokenBudget(5, 5, 1)).toEqual({ width: 32, height: 32, tokens: 1 });
  });

  it('rejects empty images and budgets below one token', () => {
    expect(() => fitToTokenBudget(0, 10, 10)).toThrow(/empty/);
    expect(() => fitToTokenBudget(10, 10, 0)).toThrow(/at least 1/);
  });
});
