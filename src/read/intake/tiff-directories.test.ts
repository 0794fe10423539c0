import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { buildTiff } from './test-support/build-tiff.js';
import { readTiffDirectories } from './tiff-directories.js';

async function threePageTiff(): Promise<Buffer> {
  const frames = await Promise.all(
    ['#ff0000', '#00ff00', '#0000ff'].map((background) =>
      sharp({ create: { width: 30, height: 10, channels: 3, background } })
        .png()
        .toBuffer(),
    ),
  );
  return sharp(frames, { join: { animated: true } })
    .tiff({ compression: 'lzw' })
    .toBuffer();
}

describe('readTiffDirectories', () => {
  it('counts the pages of a whole TIFF, none damaged', async () => {
    const dirs = readTiffDirectories(await threePageTiff(), 100);
    expect(dirs).toMatchObject({ pageCount: 3, damaged: new Set() });
  });

  it('still counts a last page whose directory was cut off, and marks it damaged', async () => {
    const whole = await threePageTiff();
    expect(readTiffDirectories(whole.subarray(0, whole.length - 50), 100)).toMatchObject({
      pageCount: 3,
      damaged: new Set([2]),
    });
  });

  it('stops at a directory chain that loops, and ignores what is not TIFF', async () => {
    const tiff = Buffer.from(await threePageTiff());
    const first = tiff.readUInt32LE(4);
    const entries = tiff.readUInt16LE(first);
    tiff.writeUInt32LE(first, first + 2 + entries * 12); // page 1 points back at itself
    expect(readTiffDirectories(tiff, 100)).toMatchObject({ pageCount: 1, damaged: new Set() });
    expect(
      readTiffDirectories(
        await sharp(await threePageTiff())
          .png()
          .toBuffer(),
        100,
      ),
    ).toBeUndefined();
  });
});

describe('readTiffDirectories on hostile chains', () => {
  it('reads pages built entry by entry (the builder is sound)', () => {
    const tiff = buildTiff([{ width: 3, height: 2 }, {}, { privateValues: 1000 }]);
    expect(readTiffDirectories(tiff, 100)).toMatchObject({ pageCount: 3, damaged: new Set() });
  });

  it('refuses, fast and with TOO_COMPLEX, directories declaring millions of shared tag values', () => {
    const bomb = buildTiff(Array.from({ length: 400 }, () => ({ privateValues: 1_000_000 })));
    const started = performance.now();
    expect(() => readTiffDirectories(bomb, 2000, 'bomb.tif')).toThrow(
      expect.objectContaining({ code: 'TOO_COMPLEX', message: expect.stringMatching(/^bomb\.tif: /) }),
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('walks 2 000 plain pages in well under a second', () => {
    const many = buildTiff(Array.from({ length: 2000 }, () => ({})));
    const started = performance.now();
    expect(readTiffDirectories(many, 2000)?.pageCount).toBe(2000);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
