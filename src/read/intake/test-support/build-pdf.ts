import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

/**
 * Writes small, valid PDFs for tests (correct xref offsets, PDF 1.4), so intake is tested on real
 * PDF bytes that PDFium parses, without fixture files. Coordinates are PDF points, origin bottom-left.
 */
export interface TestPdfText {
  text: string;
  x: number;
  y: number;
  size: number;
  /** Helvetica's built-in StandardEncoding instead of WinAnsi: byte 0xAE is then the "fi" ligature. */
  standardEncoding?: boolean;
}

export interface TestPdfImage {
  /** RGB pixels, 3 bytes each. */
  rgb: Uint8Array;
  width: number;
  height: number;
  /** Where the image is drawn, in points. */
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface TestPdfPage {
  width?: number;
  height?: number;
  /** Helvetica text runs: a text layer. */
  texts?: TestPdfText[];
  /** An image: what a scanner produces (no text layer). */
  image?: TestPdfImage;
  rotate?: 0 | 90 | 180 | 270;
}

export interface TestPdfOptions {
  /** Encrypts with the standard security handler (RC4 40-bit, revision 2) so opening needs this password. */
  userPassword?: string;
}

const PADDING = Buffer.from('28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a', 'hex');

function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  const s = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = Buffer.alloc(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 255;
    j = (j + s[i]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 255]!;
  }
  return out;
}

const md5 = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

const pad = (password: string): Buffer =>
  Buffer.concat([Buffer.from(password, 'latin1'), PADDING]).subarray(0, 32);

/** Escapes a string for a PDF literal `( … )`. */
const literal = (text: string): string => text.replace(/[\\()]/g, (c) => `\\${c}`);

/** Builds the PDF. */
export function buildPdf(pages: TestPdfPage[], options: TestPdfOptions = {}): Uint8Array {
  const id = md5(Buffer.from(JSON.stringify(pages.map((p) => p.texts ?? []))));
  const permissions = -4; // all permissions
  let fileKey: Buffer | undefined;
  let encryptDict = '';
  if (options.userPassword !== undefined) {
    // PDF 1.7 §7.6.3.3–7.6.3.4, algorithms 2, 3 and 4 (revision 2, 40-bit key).
    const ownerKey = md5(pad(`${options.userPassword}-owner`)).subarray(0, 5);
    const o = rc4(ownerKey, pad(options.userPassword));
    const p = Buffer.alloc(4);
    p.writeInt32LE(permissions);
    fileKey = md5(pad(options.userPassword), o, p, id).subarray(0, 5);
    const u = rc4(fileKey, PADDING);
    encryptDict = `<< /Filter /Standard /V 1 /R 2 /O <${o.toString('hex')}> /U <${u.toString('hex')}> /P ${permissions} >>`;
  }

  // Objects are numbered in push order; 1 = catalog, 2 = page tree, 3 and 4 = fonts.
  const objects: Buffer[] = [];
  const add = (body: Buffer | string): number => {
    objects.push(typeof body === 'string' ? Buffer.from(body, 'latin1') : body);
    return objects.length;
  };
  const stream = (dict: string, data: Buffer): Buffer => {
    const objectNumber = objects.length + 1;
    let payload = data;
    if (fileKey) {
      const objectSalt = Buffer.from([
        objectNumber & 255,
        (objectNumber >> 8) & 255,
        objectNumber >> 16,
        0,
        0,
      ]);
      payload = rc4(md5(fileKey, objectSalt).subarray(0, 10), data);
    }
    return Buffer.concat([
      Buffer.from(`<< ${dict} /Length ${payload.length} >>\nstream\n`, 'latin1'),
      payload,
      Buffer.from('\nendstream', 'latin1'),
    ]);
  };

  add('<< /Type /Catalog /Pages 2 0 R >>');
  add('PAGES'); // replaced once the page objects are numbered
  add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  const pageRefs: number[] = [];
  for (const page of pages) {
    const width = page.width ?? 595;
    const height = page.height ?? 842;
    let imageRef = 0;
    let content = '';
    if (page.image) {
      const img = page.image;
      imageRef = add(
        stream(
          `/Type /XObject /Subtype /Image /Width ${img.width} /Height ${img.height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode`,
          deflateSync(img.rgb),
        ),
      );
      content += `q ${img.w} 0 0 ${img.h} ${img.x} ${img.y} cm /Im1 Do Q\n`;
    }
    for (const t of page.texts ?? []) {
      // Strings inside content streams are encrypted with the stream, so no per-string step is needed.
      content += `BT /${t.standardEncoding ? 'F2' : 'F1'} ${t.size} Tf ${t.x} ${t.y} Td (${literal(t.text)}) Tj ET\n`;
    }
    const contentRef = add(stream('', Buffer.from(content, 'latin1')));
    const xobjects = imageRef ? ` /XObject << /Im1 ${imageRef} 0 R >>` : '';
    pageRefs.push(
      add(
        `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${width} ${height}] /Rotate ${page.rotate ?? 0} ` +
          `/Resources << /Font << /F1 3 0 R /F2 4 0 R >>${xobjects} >> /Contents ${contentRef} 0 R >>`,
      ),
    );
  }
  objects[1] = Buffer.from(
    `<< /Type /Pages /Kids [${pageRefs.map((r) => `${r} 0 R`).join(' ')}] /Count ${pageRefs.length} >>`,
    'latin1',
  );
  const encryptRef = encryptDict ? add(encryptDict) : 0;

  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = chunks[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(offset);
    const chunk = Buffer.concat([
      Buffer.from(`${i + 1} 0 obj\n`, 'latin1'),
      body,
      Buffer.from('\nendobj\n', 'latin1'),
    ]);
    chunks.push(chunk);
    offset += chunk.length;
  });
  const xref =
    `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n` +
    offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('') +
    `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R${encryptRef ? ` /Encrypt ${encryptRef} 0 R` : ''} ` +
    `/ID [<${id.toString('hex')}> <${id.toString('hex')}>] >>\nstartxref\n${offset}\n%%EOF\n`;
  chunks.push(Buffer.from(xref, 'latin1'));
  return new Uint8Array(Buffer.concat(chunks));
}
