import { describe, expect, it } from 'vitest';
import { isDocSightError } from '../../errors.js';
import type { RawImage } from '../types.js';
import { decodeBmp, readBmpHeader } from './bmp-decoder.js';
import { encodeBmp } from './test-support/encode-bmp.js';

/** A 5×3 image (odd width, so rows need padding) with a distinct colour in every pixel. */
function sample(): RawImage {
  const width = 5;
  const height = 3;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set([i * 16, 255 - i * 16, (i * 40) % 256], i * 3);
  return { data, width, height, channels: 3 };
}

describe('decodeBmp', () => {
  for (const bitsPerPixel of [24, 32] as const) {
    for (const topDown of [false, true]) {
      it(`decodes ${bitsPerPixel}-bit ${topDown ? 'top-down' : 'bottom-up'} pixels exactly`, () => {
        const image = sample();
        const decoded = decodeBmp(encodeBmp(image, { bitsPerPixel, topDown }), 'x.bmp');
        expect(decoded).toMatchObject({ width: 5, height: 3, channels: 3 });
        expect([...decoded.data]).toEqual([...image.data]);
      });
    }
  }

  it('decodes 8-bit paletted (grey) pixels through the palette', () => {
    const grey = sample();
    for (let i = 0; i < grey.data.length; i += 3) grey.data.fill(grey.data[i]!, i, i + 3);
    const decoded = decodeBmp(encodeBmp(grey, { bitsPerPixel: 8 }), 'grey.bmp');
    expect([...decoded.data]).toEqual([...grey.data]);
  });

  it('reads the size from the header alone', () => {
    const bmp = encodeBmp(sample(), { bitsPerPixel: 24, topDown: true });
    expect(readBmpHeader(bmp, 'x.bmp')).toMatchObject({
      width: 5,
      height: 3,
      bitsPerPixel: 24,
      topDown: true,
    });
  });

  it('refuses a cut-short file with CORRUPT_FILE naming the file', () => {
    const bmp = encodeBmp(sample(), { bitsPerPixel: 24 });
    let error: unknown;
    try {
      decodeBmp(bmp.subarray(0, bmp.length - 10), 'cut.bmp');
    } catch (err) {
      error = err;
    }
    expect(isDocSightError(error, 'CORRUPT_FILE')).toBe(true);
    expect((error as Error).message).toMatch(/^cut\.bmp: .*cut short/);
  });

  it('refuses RLE compression with UNSUPPORTED_TYPE and says what to do', () => {
    const bmp = encodeBmp(sample(), { bitsPerPixel: 8 });
    new DataView(bmp.buffer).setUint32(30, 1, true); // BI_RLE8
    expect(() => decodeBmp(bmp, 'rle.bmp')).toThrow(/RLE-compressed BMP is not supported. Convert it to PNG/);
  });

  /** A 2×1 32-bit BI_BITFIELDS BMP with the given masks, every pixel 0xffffffff. */
  function bitfieldsBmp(masks: [number, number, number]): Uint8Array {
    const out = Buffer.alloc(14 + 40 + 12 + 8);
    out.write('BM', 0, 'latin1');
    out.writeUInt32LE(out.length, 2);
    out.writeUInt32LE(14 + 40 + 12, 10);
    out.writeUInt32LE(40, 14);
    out.writeInt32LE(2, 18);
    out.writeInt32LE(1, 22);
    out.writeUInt16LE(1, 26);
    out.writeUInt16LE(32, 28);
    out.writeUInt32LE(3, 30); // BI_BITFIELDS
    masks.forEach((m, i) => out.writeUInt32LE(m >>> 0, 54 + i * 4));
    out.fill(0xff, 66);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }

  it('decodes masks that reach bit 31 (0xffffffff, 0x80000000, 0xff000000) without looping', () => {
    const decoded = decodeBmp(bitfieldsBmp([0xffffffff, 0x80000000, 0xff000000]), 'masks.bmp');
    expect([...decoded.data]).toEqual([255, 255, 255, 255, 255, 255]);
  });

  it('reads only the lowest run of a mask with gaps, and a zero mask as black', () => {
    const decoded = decodeBmp(bitfieldsBmp([0x0f0000f0, 0, 0x3]), 'gaps.bmp');
    expect([...decoded.data]).toEqual([255, 0, 255, 255, 0, 255]);
  });
});
