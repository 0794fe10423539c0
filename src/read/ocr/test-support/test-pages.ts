import sharp from 'sharp';
import type { RawImage } from '../../types.js';

/**
 * Renders test pages from SVG text with sharp, so OCR tests need no image files and no /work/shared.
 * Fonts: DejaVu Sans (Latin) and WenQuanYi Zen Hei (Chinese), both installed by .ci/run.
 */
export interface TextSpec {
  text: string;
  /** Left end of the baseline, in page pixels. */
  x: number;
  y: number;
  /** Font size in pixels. */
  size: number;
  font?: string;
}

export interface PageSpec {
  width: number;
  height: number;
  lines: TextSpec[];
  /** Clockwise rotation of the drawn text about the page centre, degrees (skew). */
  skew?: number;
  ink?: string;
  paper?: string;
  channels?: 1 | 3 | 4;
  /** Extra SVG elements drawn over the page (form check-boxes, rules), in page pixels, unskewed. */
  shapes?: string;
}

const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Renders a page of text lines to a RawImage. */
export async function renderPage(spec: PageSpec): Promise<RawImage> {
  const { width, height } = spec;
  const texts = spec.lines
    .map(
      (l) =>
        `<text x="${l.x}" y="${l.y}" font-family="${l.font ?? 'DejaVu Sans'}" font-size="${l.size}" fill="${spec.ink ?? '#000'}">${escapeXml(l.text)}</text>`,
    )
    .join('');
  const transform = spec.skew ? ` transform="rotate(${spec.skew} ${width / 2} ${height / 2})"` : '';
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="${spec.paper ?? '#fff'}"/><g${transform}>${texts}</g>${spec.shapes ?? ''}</svg>`;
  let img = sharp(Buffer.from(svg)).flatten({ background: spec.paper ?? '#fff' });
  const channels = spec.channels ?? 3;
  if (channels === 1) img = img.greyscale();
  if (channels === 4) img = img.ensureAlpha();
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
    channels: info.channels as 1 | 3 | 4,
  };
}

/** Rotates a RawImage clockwise by a multiple of 90° (a page scanned sideways). */
export async function rotateRaw(image: RawImage, degrees: 90 | 180 | 270): Promise<RawImage> {
  const { data, info } = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: image.channels },
  })
    .rotate(degrees)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
    channels: image.channels,
  };
}

/** Renders one line of text on a snug canvas (about 1.6 em high), as a detector box would frame it. */
export async function renderLine(text: string, size = 32, font?: string): Promise<RawImage> {
  const width = Math.ceil(text.length * size * (font ? 1.05 : 0.65) + size);
  const height = Math.ceil(size * 1.6);
  return renderPage({
    width,
    height,
    lines: [{ text, x: size / 2, y: Math.round(size * 1.15), size, font }],
  });
}
