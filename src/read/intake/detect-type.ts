import { fileTypeFromBuffer } from 'file-type';
import type { SupportedMime } from './document-source.js';

/** The accepted types, in the words error messages use. */
export const ACCEPTED_TYPES = 'PNG, JPEG, WebP, TIFF, BMP, GIF or PDF';

const startsWith = (bytes: Uint8Array, magic: number[], offset = 0): boolean =>
  bytes.length >= offset + magic.length && magic.every((b, i) => bytes[offset + i] === b);

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** PDF readers accept up to 1 KiB of junk before `%PDF-` (common in files from old mail gateways). */
function findPdfHeader(bytes: Uint8Array): boolean {
  const magic = ascii('%PDF-');
  const end = Math.min(bytes.length - magic.length, 1024);
  for (let i = 0; i <= end; i++) if (startsWith(bytes, magic, i)) return true;
  return false;
}

/**
 * The supported type of a file from its first bytes, or undefined when it is none of them.
 * Magic numbers, not the name: a PNG called `scan.pdf` is a PNG.
 *
 * @example
 *   detectSupportedType(pngBytes); // 'image/png'
 */
export function detectSupportedType(bytes: Uint8Array): SupportedMime | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
  // Classic TIFF (II*\0, MM\0*) and BigTIFF (II+\0, MM\0+); libtiff reads both.
  if (
    startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) ||
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]) ||
    startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) ||
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])
  ) {
    return 'image/tiff';
  }
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'image/gif';
  // "BM" alone is too weak (any text starting with BM); also require a plausible DIB header size.
  if (startsWith(bytes, ascii('BM')) && bytes.length >= 18) {
    const dibSize = bytes[14]! | (bytes[15]! << 8) | (bytes[16]! << 16) | (bytes[17]! << 24);
    if ([12, 40, 52, 56, 64, 108, 124].includes(dibSize)) return 'image/bmp';
  }
  if (findPdfHeader(bytes)) return 'application/pdf';
  return undefined;
}

/**
 * A short description of what an unsupported file looks like, for the error message:
 * `"zip (application/zip)"`, `"text"`, or `"unknown binary data"`.
 */
export async function describeUnsupportedType(bytes: Uint8Array): Promise<string> {
  const found = await fileTypeFromBuffer(bytes);
  if (found) return `${found.ext} (${found.mime})`;
  // file-type does not name text formats; a sample without control bytes is most likely text.
  const sample = bytes.subarray(0, 4096);
  const controls = sample.filter((b) => b < 9 || (b > 13 && b < 32)).length;
  if (controls > 0) return 'unknown binary data';
  // Say what is wrong with text that is not UTF-8 (a Latin-1 export), rather than only "text".
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, lastCompleteUtf8(sample)));
    return 'text';
  } catch {
    return 'text that is not UTF-8 (re-save it as UTF-8)';
  }
}

/** The length of `bytes` without a UTF-8 sequence cut off at its end (a 4 KiB sample can split one). */
function lastCompleteUtf8(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const b = bytes[bytes.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back for the lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}
