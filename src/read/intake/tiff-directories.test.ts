import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
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
    expect(dirs).toEqual({ pageCount: 3, damaged: new Set() });
  });

  it('still counts a last page whose directory was cut off, and marks it damaged', async () => {
    const whole = await threePageTiff();
    expect(readTiffDirectories(whole.subarray(0, whole.length - 50), 100)).toEqual({
      pageCount: 3,
      damaged: new Set([2]),
    });
  });

  it('stops at a directory chain that loops, and ignores what is not TIFF', async () => {
    const tiff = Buffer.from(await threePageTiff());
    const first = tiff.readUInt32LE(4);
    const entries = tiff.readUInt16LE(first);
    tiff.writeUInt32LE(first, first + 2 + entries * 12); // page 1 points back at itself
    expect(readTiffDirectories(tiff, 100)).toEqual({ pageCount: 1, damaged: new Set() });
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
