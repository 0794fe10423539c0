import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { prepareImage } from './prepare-image.js';

/** A 600×400 white page with a black block at the top-left, optionally tagged with an EXIF orientation. */
async function page(orientation?: number) {
  const base = sharp({ create: { width: 600, height: 400, channels: 3, background: '#ffffff' } }).composite([
    { input: { create: { width: 100, height: 50, channels: 3, background: '#000000' } }, left: 0, top: 0 },
  ]);
  return (orientation ? base.withMetadata({ orientation }) : base).jpeg().toBuffer();
}

describe('prepareImage', () => {
  it('fits the image to the token budget and returns PNG bytes of that size', async () => {
    const prepared = await prepareImage(await page(), { maxTokens: 64 });
    expect(prepared.tokens).toBeLessThanOrEqual(64);
    const meta = await sharp(prepared.png).metadata();
    expect(meta.format).toBe('png');
    expect([meta.width, meta.height]).toEqual([prepared.width, prepared.height]);
  });

  it('applies the EXIF orientation so the model sees the page upright', async () => {
    // Orientation 6 = stored rotated; viewers turn it 90° clockwise, which makes the page portrait.
    const prepared = await prepareImage(await page(6), { maxTokens: 1024 });
    expect(prepared.height).toBeGreaterThan(prepared.width);
  });

  it('gives the same identity to the same pixels and a different one to a crop', async () => {
    const bytes = await page();
    const a = await prepareImage(bytes, { maxTokens: 64 });
    const b = await prepareImage(bytes, { maxTokens: 64 });
    const crop = await prepareImage(bytes, {
      maxTokens: 64,
      region: { left: 0, top: 0, width: 200, height: 100 },
    });
    expect(a.sha256).toBe(b.sha256);
    expect(crop.sha256).not.toBe(a.sha256);
    // The crop shows the black block large: its top-left pixel is dark.
    const { data } = await sharp(crop.png).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeLessThan(60);
  });

  it('makes a crop exactly the size it was planned at, enlarging small print when asked', async () => {
    const crop = await prepareImage(await page(), {
      maxTokens: 64,
      region: { left: 0, top: 0, width: 100, height: 50 },
      size: { width: 192, height: 96 },
    });
    expect([crop.width, crop.height, crop.tokens]).toEqual([192, 96, 18]);
    await expect(
      prepareImage(await page(), { maxTokens: 8, size: { width: 192, height: 96 } }),
    ).rejects.toThrow(RangeError);
  });

  it('refuses oversized and corrupt images with clear errors', async () => {
    await expect(prepareImage(await page(), { maxTokens: 64, maxPixels: 1000 })).rejects.toMatchObject({
      code: 'TOO_MANY_PIXELS',
    });
    await expect(prepareImage(Buffer.from('not an image'), { maxTokens: 64 })).rejects.toMatchObject({
      code: 'CORRUPT_FILE',
    });
  });
});
