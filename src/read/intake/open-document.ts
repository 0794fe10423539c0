import { DocSightError } from '../../errors.js';
import type { Config } from '../../config/config.js';
import { ACCEPTED_TYPES, describeUnsupportedType, detectSupportedType } from './detect-type.js';
import type { DocumentSource } from './document-source.js';
import { openImage } from './image-source.js';
import { checkFileSize } from './limits.js';
import { openPdf } from './pdf-source.js';

/**
 * Opens a document from its bytes: detects the type from the content (never the name), checks the
 * limits (size, pixels, pages) before decoding anything, and returns a source that yields pages one at
 * a time. `name` is only used in error messages. Bad input is a DocSightError (EMPTY_FILE,
 * UNSUPPORTED_TYPE, CORRUPT_FILE, ENCRYPTED_PDF, TOO_MANY_PIXELS, TOO_MANY_PAGES, FILE_TOO_LARGE).
 *
 * @example
 *   const doc = await openDocument(await readFile('scan.pdf'), 'scan.pdf', config.intake);
 *   try {
 *     for (let n = 1; n <= doc.pageCount; n++) {
 *       const page = await doc.page(n);
 *       const lines = page.textLines ?? (await ocr.recognize(await page.image())).lines;
 *     }
 *   } finally {
 *     await doc.close();
 *   }
 */
export async function openDocument(
  bytes: Uint8Array,
  name: string,
  limits: Config['intake'],
): Promise<DocumentSource> {
  if (bytes.length === 0) {
    throw new DocSightError(
      'EMPTY_FILE',
      `${name} is empty (0 bytes). Check that the upload or copy finished.`,
    );
  }
  checkFileSize(name, bytes.length, limits);
  const mime = detectSupportedType(bytes);
  if (!mime) {
    const found = await describeUnsupportedType(bytes);
    throw new DocSightError(
      'UNSUPPORTED_TYPE',
      `${name}: not a supported document (found ${found}). Send ${ACCEPTED_TYPES}.`,
    );
  }
  return mime === 'application/pdf' ? openPdf(bytes, name, limits) : openImage(bytes, name, mime, limits);
}
