import type { RawImage } from '../../types.js';

/**
 * Writes BMP files for tests in the variants scanners and Windows produce, so the decoder is checked
 * against bytes laid out exactly as the format specifies (independently of the decoder's own code).
 */
export interface BmpOptions {
  bitsPerPixel: 8 | 24 | 32;
  /** Rows first-row-first (negative height) instead of the usual bottom-up. */
  topDown?: boolean;
}

/** Encodes an RGB image; 8-bit output uses a grey palette (the image's red channel picks the entry). */
export function encodeBmp(image: RawImage, options: BmpOptions): Uint8Array {
  const { width, height } = image;
  const bpp = options.bitsPerPixel;
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const paletteSize = bpp === 8 ? 256 * 4 : 0;
  const pixelOffset = 14 + 40 + paletteSize;
  const size = pixelOffset + stride * height;
  const out = Buffer.alloc(size);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(size, 2);
  out.writeUInt32LE(pixelOffset, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(options.topDown ? -height : height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bpp, 28);
  out.writeUInt32LE(0, 30); // BI_RGB
  out.writeUInt32LE(stride * height, 34);
  out.writeUInt32LE(bpp === 8 ? 256 : 0, 46);
  for (let i = 0; i < paletteSize / 4; i++) out.writeUInt32LE(i * 0x010101, 54 + i * 4);
  for (let y = 0; y < height; y++) {
    const row = options.topDown ? y : height - 1 - y;
    for (let x = 0; x < width; x++) {
      const src = (y * width + x) * image.channels;
      const r = image.data[src]!;
      const g = image.channels >= 3 ? image.data[src + 1]! : r;
      const b = image.channels >= 3 ? image.data[src + 2]! : r;
      const at = pixelOffset + row * stride + x * (bpp / 8);
      if (bpp === 8) out[at] = r;
      else {
        out[at] = b;
        out[at + 1] = g;
        out[at + 2] = r;
        if (bpp === 32) out[at + 3] = 255;
      }
    }
  }
  return new Uint8Array(out);
}
