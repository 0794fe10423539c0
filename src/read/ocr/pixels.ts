import sharp from 'sharp';
import { DocSightError } from '../../errors.js';
import type { RawImage } from '../types.js';

/**
 * Pixel helpers shared by the OCR stages. The working format is 3-channel RGB, 8 bit,
 * because every PP-OCR model takes three channels and grey pages are the common case.
 */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Checks that a RawImage's buffer matches its declared size, so a bad caller gets an error, not garbage. */
export function assertRawImage(image: RawImage): void {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new DocSightError(
      'BAD_REQUEST',
      `OCR image has invalid size ${width}x${height}; width and height must be positive integers.`,
    );
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new DocSightError(
      'BAD_REQUEST',
      `OCR image has ${String(channels)} channels; send 1 (grey), 3 (RGB) or 4 (RGBA).`,
    );
  }
  if (data.length !== width * height * channels) {
    throw new DocSightError(
      'BAD_REQUEST',
      `OCR image buffer holds ${data.length} bytes but ${width}x${height}x${channels} needs ${width * height * channels}.`,
    );
  }
}

/** Converts 1/3/4-channel pixels to RGB; alpha is composited onto white (transparent PNGs are paper). */
export function toRgb(image: RawImage): RgbImage {
  const { width, height, channels, data } = image;
  if (channels === 3) return { data, width, height };
  const n = width * height;
  const out = new Uint8Array(n * 3);
  if (channels === 1) {
    for (let i = 0; i < n; i++) {
      const v = data[i]!;
      out[3 * i] = v;
      out[3 * i + 1] = v;
      out[3 * i + 2] = v;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const a = data[4 * i + 3]! / 255;
      for (let c = 0; c < 3; c++) out[3 * i + c] = Math.round(data[4 * i + c]! * a + 255 * (1 - a));
    }
  }
  return { data: out, width, height };
}

/**
 * Stretches a low-contrast page so its darkest 0.5 % goes to black and its brightest 0.5 % to white.
 * Faded scans otherwise fall under the detector's probability threshold. Pages that already span
 * most of the range are returned unchanged.
 */
export function normaliseContrast(image: RgbImage, minRange = 160): RgbImage {
  const { data } = image;
  const hist = new Uint32Array(256);
  // Luma of every 4th pixel is plenty for percentiles.
  let count = 0;
  for (let i = 0; i < data.length; i += 12) {
    hist[(data[i]! * 77 + data[i + 1]! * 150 + data[i + 2]! * 29) >> 8]!++;
    count++;
  }
  const cut = count * 0.005;
  let lo = 0;
  for (let acc = 0; lo < 255 && acc + hist[lo]! <= cut; lo++) acc += hist[lo]!;
  let hi = 255;
  for (let acc = 0; hi > 0 && acc + hist[hi]! <= cut; hi--) acc += hist[hi]!;
  if (hi - lo >= minRange || hi <= lo) return image;
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.max(0, Math.min(255, Math.round(((v - lo) * 255) / (hi - lo))));
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = lut[data[i]!]!;
  return { data: out, width: image.width, height: image.height };
}

/** Resizes with libvips (area-averaging when shrinking, so thin strokes survive). */
export async function resizeRgb(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (width === image.width && height === image.height) return image;
  const buf = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(buf.buffer, buf.byteOffset, buf.length), width, height };
}

/** Rotates clockwise by a multiple of 90 degrees. */
export function rotateRgb(image: RgbImage, degrees: 0 | 90 | 180 | 270): RgbImage {
  if (degrees === 0) return image;
  const { width: w, height: h, data } = image;
  const ow = degrees === 180 ? w : h;
  const oh = degrees === 180 ? h : w;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let nx: number;
      let ny: number;
      if (degrees === 90) {
        nx = h - 1 - y;
        ny = x;
      } else if (degrees === 180) {
        nx = w - 1 - x;
        ny = h - 1 - y;
      } else {
        nx = y;
        ny = w - 1 - x;
      }
      const si = (y * w + x) * 3;
      const di = (ny * ow + nx) * 3;
      out[di] = data[si]!;
      out[di + 1] = data[si + 1]!;
      out[di + 2] = data[si + 2]!;
    }
  }
  return { data: out, width: ow, height: oh };
}

/**
 * Maps a point of an image rotated clockwise by `degrees` back to the image before rotation.
 * `width`/`height` are those of the original (unrotated) image.
 */
export function unrotatePoint(
  x: number,
  y: number,
  degrees: 0 | 90 | 180 | 270,
  width: number,
  height: number,
): [number, number] {
  switch (degrees) {
    case 0:
      return [x, y];
    case 90:
      return [y, height - x];
    case 180:
      return [width - x, height - y];
    case 270:
      return [width - y, x];
  }
}
