import sharp, { type Metadata } from 'sharp';
import { DocSightError } from '../../errors.js';
import type { Config } from '../../config/config.js';
import type { RawImage } from '../types.js';
import { decodeBmp, readBmpHeader } from './bmp-decoder.js';
import type { DocumentSource, SourcePage, SupportedMime } from './document-source.js';
import { checkPageCount, checkPixels } from './limits.js';
import { isolateTiffPage, readTiffDirectories } from './tiff-directories.js';

type ImageMime = Exclude<SupportedMime, 'application/pdf'>;

function corrupt(name: string, err: unknown): DocSightError {
  const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new DocSightError(
    'CORRUPT_FILE',
    `${name}: the image is damaged or cut short and cannot be decoded (${detail}). Re-export or re-scan it.`,
    { cause: err },
  );
}

/** Header-only facts about one image page; sharp's metadata() does not decode pixels. */
async function readImageHeader(
  bytes: Uint8Array,
  name: string,
  page: number,
): Promise<{ width: number; height: number; pages: number }> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { page, limitInputPixels: false }).metadata();
  } catch (err) {
    throw corrupt(name, err);
  }
  if (!meta.width || !meta.height) throw corrupt(name, 'no dimensions in the header');
  // EXIF orientations 5–8 turn the image a quarter: the page is as tall as the stored image is wide.
  const quarterTurn = (meta.orientation ?? 1) >= 5;
  return {
    width: quarterTurn ? meta.height : meta.width,
    height: quarterTurn ? meta.width : meta.height,
    pages: meta.pages ?? 1,
  };
}

/**
 * Decodes one page with EXIF orientation applied, alpha flattened onto white, as grey or RGB.
 * `failOn` stays sharp's strict default ('warning') unless the caller has proved the page whole.
 */
async function decodeWithSharp(
  bytes: Uint8Array,
  name: string,
  page: number,
  failOn: 'warning' | 'truncated' = 'warning',
): Promise<RawImage> {
  try {
    const pipeline = sharp(bytes, { page, limitInputPixels: false, failOn });
    const meta = await pipeline.metadata();
    // Grey scans stay one channel (a third of the memory); everything else becomes 8-bit sRGB.
    const grey =
      meta.channels !== undefined && meta.channels <= 2 && (meta.space === 'b-w' || meta.space === 'grey16');
    const { data, info } = await pipeline
      .autoOrient()
      .flatten({ background: '#ffffff' })
      .toColourspace(grey ? 'b-w' : 'srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const channels = info.channels as 1 | 3 | 4;
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      channels,
    };
  } catch (err) {
    throw corrupt(name, err);
  }
}

/** Encodes a RawImage as PNG. */
export async function rawToPng(image: RawImage): Promise<Uint8Array> {
  const png = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: image.channels },
  })
    .png()
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/**
 * Opens an image file as a document: one page, or one per page of a multi-page TIFF (a GIF or an
 * animated WebP gives its first frame). Dimensions are checked against `limits.maxPixels` from the
 * headers before any pixels are decoded.
 */
export async function openImage(
  bytes: Uint8Array,
  name: string,
  mime: ImageMime,
  limits: Config['intake'],
): Promise<DocumentSource> {
  if (mime === 'image/bmp') {
    const header = readBmpHeader(bytes, name);
    checkPixels(name, header.width, header.height, limits);
    const page: SourcePage = {
      number: 1,
      width: header.width,
      height: header.height,
      image: async () => decodeBmp(bytes, name),
      renderPng: async () => rawToPng(decodeBmp(bytes, name)),
    };
    return singlePageSource(name, mime, page);
  }

  // A TIFF cut short can lose its last directory, and libvips then leaves that page out of its count;
  // our own walk of the directory chain still sees it, so the page is reported damaged, not dropped.
  // Walked before libvips opens the file, so a chain built to cost minutes is refused first.
  const directories = mime === 'image/tiff' ? readTiffDirectories(bytes, limits.maxPages, name) : undefined;
  const first = await readImageHeader(bytes, name, 0);
  checkPixels(name, first.width, first.height, limits);
  const pageCount = mime === 'image/tiff' ? Math.max(first.pages, directories?.pageCount ?? 0) : 1;
  checkPageCount(name, pageCount, limits);

  // Whole pages of a multi-page TIFF are read from a private copy in which each is, in turn, the only
  // page (see isolateTiffPage): one at a time, since the copy is patched in place.
  const isolated = directories && pageCount > 1 ? new Uint8Array(bytes) : undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const onlyPage = <T>(index: number, use: (bytes: Uint8Array) => Promise<T>): Promise<T> | undefined => {
    if (!isolated || !directories || directories.damaged.has(index) || index >= directories.pageCount)
      return undefined;
    const run = queue.then(async () => {
      const restore = isolateTiffPage(isolated, directories, index);
      try {
        return await use(isolated);
      } finally {
        restore();
      }
    });
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    name,
    mime,
    kind: 'image',
    pageCount,
    async page(n: number): Promise<SourcePage> {
      checkPageNumber(name, n, pageCount);
      const label = pageCount > 1 ? `${name} page ${n}` : name;
      const header =
        n === 1
          ? first
          : await (onlyPage(n - 1, (only) => readImageHeader(only, label, 0)) ??
              readImageHeader(bytes, label, n - 1));
      checkPixels(label, header.width, header.height, limits);
      const image = async (): Promise<RawImage> => {
        const alone = onlyPage(n - 1, (only) => decodeWithSharp(only, label, 0));
        if (alone) return alone;
        try {
          return await decodeWithSharp(bytes, label, n - 1);
        } catch (err) {
          // libvips reads every directory of a TIFF to count its pages, whichever page is asked for,
          // so a later page cut short fails this one too (libtiff "Failed to read directory at
          // offset …", an error, not a warning). Only then, and only for a page whose own directory,
          // tag values and strips lie wholly inside the file, decode again failing only on truncated
          // data, and check the size against the header.
          const elsewhere = directories && directories.damaged.size > 0 && !directories.damaged.has(n - 1);
          if (!elsewhere || n - 1 >= directories.pageCount) throw err;
          const image = await decodeWithSharp(bytes, label, n - 1, 'truncated');
          if (image.width !== header.width || image.height !== header.height) {
            throw corrupt(
              label,
              `decoded ${image.width}×${image.height}, header says ${header.width}×${header.height}`,
            );
          }
          return image;
        }
      };
      return {
        number: n,
        width: header.width,
        height: header.height,
        image,
        renderPng: async () => rawToPng(await image()),
      };
    },
    async close() {},
  };
}

function singlePageSource(name: string, mime: ImageMime, page: SourcePage): DocumentSource {
  return {
    name,
    mime,
    kind: 'image',
    pageCount: 1,
    async page(n: number) {
      checkPageNumber(name, n, 1);
      return page;
    },
    async close() {},
  };
}

/** Page numbers are 1-based; anything else is a caller's mistake worth a clear message. */
export function checkPageNumber(name: string, n: number, pageCount: number): void {
  if (!Number.isInteger(n) || n < 1 || n > pageCount) {
    throw new DocSightError('BAD_REQUEST', `${name} has ${pageCount} page(s); page ${n} does not exist.`);
  }
}
