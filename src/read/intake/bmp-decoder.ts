import { DocSightError } from '../../errors.js';
import type { RawImage } from '../types.js';

/**
 * A decoder for Windows BMP files, because sharp (libvips) cannot read BMP.
 * Covers what scanners and Windows tools write: 1/4/8-bit paletted, 16-bit (5-5-5 or bit fields),
 * 24-bit, 32-bit (plain or bit fields), bottom-up and top-down, and the old OS/2 12-byte header.
 * RLE compression is rare in scans and is refused with a clear message rather than decoded wrongly.
 */

export interface BmpHeader {
  width: number;
  height: number;
  bitsPerPixel: number;
  /** Rows stored first-row-first (negative height in the file). */
  topDown: boolean;
  compression: number;
  pixelOffset: number;
  dibSize: number;
}

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

function corrupt(name: string, why: string): DocSightError {
  return new DocSightError('CORRUPT_FILE', `${name}: damaged BMP file (${why}). Re-export or re-scan it.`);
}

/**
 * Reads the BMP headers only (no pixels): dimensions are known before anything is allocated,
 * so oversized images can be refused first.
 */
export function readBmpHeader(bytes: Uint8Array, name: string): BmpHeader {
  if (bytes.length < 26) throw corrupt(name, 'header cut short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pixelOffset = view.getUint32(10, true);
  const dibSize = view.getUint32(14, true);
  let width: number;
  let rawHeight: number;
  let bitsPerPixel: number;
  let compression = BI_RGB;
  if (dibSize === 12) {
    width = view.getUint16(18, true);
    rawHeight = view.getInt16(20, true);
    bitsPerPixel = view.getUint16(24, true);
  } else {
    if (bytes.length < 14 + 40) throw corrupt(name, 'header cut short');
    width = view.getInt32(18, true);
    rawHeight = view.getInt32(22, true);
    bitsPerPixel = view.getUint16(28, true);
    compression = view.getUint32(30, true);
  }
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0) throw corrupt(name, `impossible size ${width}×${rawHeight}`);
  if (![1, 4, 8, 16, 24, 32].includes(bitsPerPixel)) throw corrupt(name, `${bitsPerPixel} bits per pixel`);
  return { width, height, bitsPerPixel, topDown: rawHeight < 0, compression, pixelOffset, dibSize };
}

/**
 * Shift and scale for one colour channel described by a bit mask (e.g. 0x7c00 → 5 bits at 10).
 * The mask comes from the file, so both scans stop at bit 31: `>>> 32` is `>>> 0` in JavaScript, and a
 * mask of 0xffffffff would otherwise count its bits forever. Only the lowest run of set bits counts.
 */
function maskChannel(mask: number): (pixel: number) => number {
  if (mask === 0) return () => 0;
  let shift = 0;
  while (shift < 32 && ((mask >>> shift) & 1) === 0) shift++;
  let bits = 0;
  while (shift + bits < 32 && ((mask >>> (shift + bits)) & 1) === 1) bits++;
  const run = bits === 32 ? 0xffffffff : (2 ** bits - 1) * 2 ** shift;
  const max = 2 ** bits - 1;
  return (pixel) => Math.round((((pixel & run) >>> shift) * 255) / max);
}

/**
 * Decodes a BMP file to an RGB RawImage.
 *
 * @example
 *   const image = decodeBmp(readFileSync('scan.bmp'), 'scan.bmp');
 *   image.channels; // 3
 */
export function decodeBmp(bytes: Uint8Array, name: string): RawImage {
  const header = readBmpHeader(bytes, name);
  const { width, height, bitsPerPixel, compression, dibSize } = header;
  if (compression === BI_RLE8 || compression === BI_RLE4) {
    throw new DocSightError(
      'UNSUPPORTED_TYPE',
      `${name}: RLE-compressed BMP is not supported. Convert it to PNG or TIFF and try again.`,
    );
  }
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    throw new DocSightError(
      'UNSUPPORTED_TYPE',
      `${name}: BMP compression type ${compression} is not supported. Convert it to PNG or TIFF and try again.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  // Bit masks for 16/32-bit pixels: after a 40-byte header they follow it; longer headers contain them.
  let masks: [number, number, number];
  if (compression === BI_RGB) {
    masks = bitsPerPixel === 16 ? [0x7c00, 0x03e0, 0x001f] : [0xff0000, 0x00ff00, 0x0000ff];
  } else {
    if (bytes.length < 14 + 40 + 12) throw corrupt(name, 'bit masks cut short');
    masks = [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true)];
  }

  // Palette for ≤ 8 bits per pixel: 4-byte BGRx entries (3-byte BGR in the OS/2 header).
  let palette: Uint8Array | undefined;
  if (bitsPerPixel <= 8) {
    const entrySize = dibSize === 12 ? 3 : 4;
    const used = dibSize >= 40 ? view.getUint32(46, true) : 0;
    const count = used > 0 && used <= 256 ? used : 2 ** bitsPerPixel;
    let start = 14 + dibSize;
    if (dibSize === 40 && compression === BI_BITFIELDS) start += 12;
    if (dibSize === 40 && compression === BI_ALPHABITFIELDS) start += 16;
    if (start + count * entrySize > bytes.length) throw corrupt(name, 'palette cut short');
    palette = new Uint8Array(256 * 3);
    for (let i = 0; i < count; i++) {
      const at = start + i * entrySize;
      palette[i * 3] = bytes[at + 2]!;
      palette[i * 3 + 1] = bytes[at + 1]!;
      palette[i * 3 + 2] = bytes[at]!;
    }
  }

  // Rows are padded to 4 bytes.
  const stride = Math.floor((bitsPerPixel * width + 31) / 32) * 4;
  if (header.pixelOffset + stride * height > bytes.length) {
    throw corrupt(
      name,
      `pixel data cut short: ${bytes.length} bytes, ${header.pixelOffset + stride * height} needed`,
    );
  }

  const out = new Uint8Array(width * height * 3);
  const [red, green, blue] = masks.map(maskChannel) as [
    (p: number) => number,
    (p: number) => number,
    (p: number) => number,
  ];
  for (let row = 0; row < height; row++) {
    const y = header.topDown ? row : height - 1 - row;
    const rowStart = header.pixelOffset + row * stride;
    let o = y * width * 3;
    for (let x = 0; x < width; x++, o += 3) {
      if (palette) {
        const bitOffset = x * bitsPerPixel;
        const byte = bytes[rowStart + (bitOffset >> 3)]!;
        const index = (byte >> (8 - bitsPerPixel - (bitOffset & 7))) & ((1 << bitsPerPixel) - 1);
        out[o] = palette[index * 3]!;
        out[o + 1] = palette[index * 3 + 1]!;
        out[o + 2] = palette[index * 3 + 2]!;
      } else if (bitsPerPixel === 24) {
        const at = rowStart + x * 3;
        out[o] = bytes[at + 2]!;
        out[o + 1] = bytes[at + 1]!;
        out[o + 2] = bytes[at]!;
      } else {
        const pixel =
          bitsPerPixel === 16
            ? view.getUint16(rowStart + x * 2, true)
            : view.getUint32(rowStart + x * 4, true);
        out[o] = red(pixel);
        out[o + 1] = green(pixel);
        out[o + 2] = blue(pixel);
      }
    }
  }
  return { data: out, width, height, channels: 3 };
}
