import sharp from 'sharp';

/** A decoded grey page for pixel checks in tests. */
export interface GreyPixels {
  data: Buffer;
  width: number;
  height: number;
}

/** Decodes any image sharp reads into one grey channel. */
export async function greyPixels(image: Buffer): Promise<GreyPixels> {
  const { data, info } = await sharp(image).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/**
 * Horizontal bands of rows that hold ink (a pixel darker than `threshold`), as [first, last] row pairs.
 * On a clean page each drawn line of text is one band.
 */
export function inkBands(page: GreyPixels, threshold = 128): [number, number][] {
  const bands: [number, number][] = [];
  let start = -1;
  for (let y = 0; y < page.height; y++) {
    let ink = false;
    for (let x = 0; x < page.width && !ink; x++) ink = page.data[y * page.width + x]! < threshold;
    if (ink && start < 0) start = y;
    if (!ink && start >= 0) {
      bands.push([start, y - 1]);
      start = -1;
    }
  }
  if (start >= 0) bands.push([start, page.height - 1]);
  return bands;
}
