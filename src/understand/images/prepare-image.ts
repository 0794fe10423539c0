import { createHash } from 'node:crypto';
import sharp, { type Metadata } from 'sharp';
import { DocSightError } from '../../errors.js';
import { fitToTokenBudget, PIXELS_PER_TOKEN_SIDE } from './token-budget.js';

export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface PreparedImage {
  /** PNG bytes, upright, RGB, sized to the budget. */
  png: Buffer;
  width: number;
  height: number;
  tokens: number;
  /** sha256 of the normalised pixels and size: the identity the image-state cache keys on. */
  sha256: string;
}

export interface PrepareOptions {
  maxTokens: number;
  /** Crop to this region of the upright image before fitting to the budget (zoom on small print). */
  region?: Region;
  /** Refuse images above this many pixels before decoding them. */
  maxPixels?: number;
  /**
   * Exact output size (after the region), instead of the largest size within `maxTokens`: a zoomed crop is
   * planned at the scale that makes its text legible, which may enlarge small print (question-crops.ts).
   * Both sides must be multiples of 32 px and within `maxTokens`.
   */
  size?: { width: number; height: number };
}

/**
 * Normalises an image for the vision encoder: EXIF orientation applied, alpha flattened on white,
 * optionally cropped, scaled to the token budget, encoded as PNG.
 *
 * @example
 *   const page = await prepareImage(bytes, { maxTokens: DEFAULT_TOKEN_BUDGET.ask });
 */
export async function prepareImage(input: Uint8Array, options: PrepareOptions): Promise<PreparedImage> {
  const exact = options.size ? exactSize(options.size, options.maxTokens) : undefined;
  let meta: Metadata;
  try {
    meta = await sharp(input).metadata();
  } catch (err) {
    throw new DocSightError('CORRUPT_FILE', `The image could not be read: ${(err as Error).message}`);
  }
  const pixels = (meta.width ?? 0) * (meta.height ?? 0);
  if (options.maxPixels !== undefined && pixels > options.maxPixels) {
    throw new DocSightError(
      'TOO_MANY_PIXELS',
      `The image has ${meta.width}×${meta.height} pixels, above the limit of ${options.maxPixels}.`,
    );
  }
  try {
    // rotate() with no angle applies the EXIF orientation, so the model sees the page as a person would.
    const upright = await sharp(input, { limitInputPixels: options.maxPixels ?? false })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toBuffer({ resolveWithObject: true });
    let image = sharp(upright.data);
    let width = upright.info.width;
    let height = upright.info.height;
    if (options.region) {
      const r = clampRegion(options.region, width, height);
      image = sharp(await image.extract(r).toBuffer());
      width = r.width;
      height = r.height;
    }
    const fitted = exact ?? fitToTokenBudget(width, height, options.maxTokens);
    const raw = await image
      .resize(fitted.width, fitted.height, { fit: 'fill', kernel: 'lanczos3' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const sha256 = createHash('sha256')
      .update(`${raw.info.width}x${raw.info.height}x${raw.info.channels}:`)
      .update(raw.data)
      .digest('hex');
    const png = await sharp(raw.data, { raw: raw.info }).png({ compressionLevel: 6 }).toBuffer();
    return { png, width: fitted.width, height: fitted.height, tokens: fitted.tokens, sha256 };
  } catch (err) {
    if (err instanceof DocSightError) throw err;
    throw new DocSightError('CORRUPT_FILE', `The image could not be decoded: ${(err as Error).message}`);
  }
}

function exactSize(size: { width: number; height: number }, maxTokens: number) {
  const side = PIXELS_PER_TOKEN_SIDE;
  const cols = size.width / side;
  const rows = size.height / side;
  if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols < 1 || rows < 1 || cols * rows > maxTokens) {
    throw new RangeError(
      `Image size ${size.width}×${size.height} must be whole ${side}-px tiles, at most ${maxTokens} tokens.`,
    );
  }
  return { width: size.width, height: size.height, tokens: cols * rows };
}

function clampRegion(region: Region, width: number, height: number): Region {
  const left = Math.max(0, Math.min(width - 1, Math.round(region.left)));
  const top = Math.max(0, Math.min(height - 1, Math.round(region.top)));
  return {
    left,
    top,
    width: Math.max(1, Math.min(width - left, Math.round(region.width))),
    height: Math.max(1, Math.min(height - top, Math.round(region.height))),
  };
}
