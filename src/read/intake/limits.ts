import { DocSightError } from '../../errors.js';
import type { Config } from '../../config/config.js';

/**
 * Guards against decompression bombs: a few KB of PNG can claim 20000×20000 pixels (1.6 GB of RGBA).
 * Called with header dimensions, before anything is decoded or rendered.
 */
export function checkPixels(name: string, width: number, height: number, limits: Config['intake']): void {
  const pixels = width * height;
  if (pixels > limits.maxPixels) {
    throw new DocSightError(
      'TOO_MANY_PIXELS',
      `${name}: ${width}×${height} = ${pixels.toLocaleString('en-US')} pixels is over the limit of ` +
        `${limits.maxPixels.toLocaleString('en-US')} (intake.maxPixels). Scale it down, or raise the limit if you trust the file.`,
    );
  }
}

/** Refuses documents with absurd page counts before any page is touched. */
export function checkPageCount(name: string, pageCount: number, limits: Config['intake']): void {
  if (pageCount > limits.maxPages) {
    throw new DocSightError(
      'TOO_MANY_PAGES',
      `${name}: ${pageCount} pages is over the limit of ${limits.maxPages} (intake.maxPages). ` +
        'Split the document, or raise the limit.',
    );
  }
}

/** Refuses files over the size limit; called before the bytes are read where the size is known. */
export function checkFileSize(
  name: string,
  size: number,
  limits: Pick<Config['intake'], 'maxFileBytes'>,
): void {
  if (size > limits.maxFileBytes) {
    const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    throw new DocSightError(
      'FILE_TOO_LARGE',
      `${name}: ${mib(size)} is over the file size limit of ${mib(limits.maxFileBytes)} (intake.maxFileBytes). ` +
        'Split the document, or raise the limit.',
    );
  }
}
