import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../config/config.js';
import type { RawImage } from '../types.js';
import { openDocument } from './open-document.js';
import { pdfEngineHeapBytes } from './pdf-engine.js';
import { buildPdf } from './test-support/build-pdf.js';
import { encodeBmp } from './test-support/encode-bmp.js';
import { pngBomb } from './test-support/png-bomb.js';

const limits: Config['intake'] = {
  maxPixels: 100_000_000,
  maxPages: 2000,
  pdfDpi: 144,
  maxFileBytes: 50_000_000,
  pdfPageTimeoutMs: 10_000,
  pdfEngineMemoryBytes: 1024 * 1024 * 1024,
};

/** The RGB value of pixel (x, y). */
const pixel = (image: RawImage, x: number, y: number): number[] => {
  const at = (y * image.width + x) * image.channels;
  return [...image.data.subarray(at, at + image.channels)];
};

/** A 40×20 image: left half red, right half blue. */
const redBlue = (): Sharp =>
  sharp({ create: { width: 40, height: 20, channels: 3, background: '#0000ff' } }).composite([
    { input: { create: { width: 20, height: 20, channels: 3, background: '#ff0000' } }, left: 0, top: 0 },
  ]);

async function codeOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message };
  }
  throw new Error('expected a rejection');
}

describe('openDocument: images', () => {
  it('opens PNG, JPEG, WebP and GIF as one page of pixels, whatever the file is called', async () => {
    for (const [format, mime] of [
      ['png', 'image/png'],
      ['jpeg', 'image/jpeg'],
      ['webp', 'image/webp'],
      ['gif', 'image/gif'],
    ] as const) {
      const bytes = await redBlue().toFormat(format).toBuffer();
      const doc = await openDocument(bytes, 'misnamed.pdf', limits);
      expect(doc).toMatchObject({ mime, kind: 'image', pageCount: 1 });
      const page = await doc.page(1);
      expect(page).toMatchObject({ width: 40, height: 20 });
      expect(page.textLines).toBeUndefined();
      const image = await page.image();
      expect(image).toMatchObject({ width: 40, height: 20, channels: 3 });
      // Lossy formats shift colours a little; red stays red and blue stays blue.
      const [r, , b] = pixel(image, 5, 10);
      expect(r).toBeGreaterThan(200);
      expect(b).toBeLessThan(60);
      expect(pixel(image, 35, 10)[2]).toBeGreaterThan(200);
      await doc.close();
    }
  });

  it('applies EXIF orientation: a photo stored sideways comes out upright', async () => {
    const jpeg = await redBlue().jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const doc = await openDocument(jpeg, 'photo.jpg', limits);
    const page = await doc.page(1);
    expect([page.width, page.height]).toEqual([20, 40]);
    const image = await page.image();
    expect([image.width, image.height]).toEqual([20, 40]);
    // Orientation 6 = turn 90° clockwise to view: the red left half becomes the top half.
    expect(pixel(image, 10, 5)[0]).toBeGreaterThan(200);
    expect(pixel(image, 10, 35)[2]).toBeGreaterThan(200);
  });

  it('reads every page of a multi-page TIFF, one at a time', async () => {
    const colours = ['#ff0000', '#00ff00', '#0000ff'];
    const frames = await Promise.all(
      colours.map((background) =>
        sharp({ create: { width: 30, height: 10, channels: 3, background } })
          .png()
          .toBuffer(),
      ),
    );
    const tiff = await sharp(frames, { join: { animated: true } })
      .tiff({ compression: 'lzw' })
      .toBuffer();
    const doc = await openDocument(tiff, 'fax.tif', limits);
    expect(doc).toMatchObject({ mime: 'image/tiff', pageCount: 3 });
    const seen = [];
    for (let n = 1; n <= doc.pageCount; n++) seen.push(pixel(await (await doc.page(n)).image(), 15, 5));
    expect(seen).toEqual([
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
    ]);
    expect((await codeOf(doc.page(4))).message).toContain('has 3 page(s); page 4 does not exist');
  });

  it.each(['lzw', 'jpeg'] as const)(
    'reads the intact pages of a %s TIFF whose last page is cut short, and names that page when refused',
    async (compression) => {
      const frames = await Promise.all(
        ['#ff0000', '#00ff00', '#0000ff'].map((background) =>
          sharp({ create: { width: 300, height: 200, channels: 3, background } })
            .png()
            .toBuffer(),
        ),
      );
      const whole = await sharp(frames, { join: { animated: true } })
        .tiff({ compression })
        .toBuffer();
      // libtiff writes each page's strips, then its directory: 50 bytes off the end cut page 3 only.
      const doc = await openDocument(whole.subarray(0, whole.length - 50), 'scan.tif', limits);
      expect(doc.pageCount).toBe(3);
      for (const [n, colour] of [
        [1, [255, 0, 0]],
        [2, [0, 255, 0]],
      ] as const) {
        const image = await (await doc.page(n)).image();
        expect([image.width, image.height]).toEqual([300, 200]);
        const corner = pixel(image, 299, 199);
        corner.forEach((value, i) => expect(Math.abs(value - colour[i]!)).toBeLessThan(4));
      }
      const { code, message } = await codeOf(doc.page(3).then((page) => page.image()));
      expect(code).toBe('CORRUPT_FILE');
      expect(message).toMatch(/^scan\.tif page 3: the image is damaged or cut short/);
      expect(message).not.toContain('\n');
    },
  );

  it('refuses a TIFF with more pages than maxPages, and reads only the first frame of an animated GIF', async () => {
    const frames = await Promise.all(
      ['#ff0000', '#00ff00', '#0000ff'].map((background) =>
        sharp({ create: { width: 30, height: 10, channels: 3, background } })
          .png()
          .toBuffer(),
      ),
    );
    const tiff = await sharp(frames, { join: { animated: true } })
      .tiff()
      .toBuffer();
    const { code, message } = await codeOf(openDocument(tiff, 'fax.tif', { ...limits, maxPages: 2 }));
    expect(code).toBe('TOO_MANY_PAGES');
    expect(message).toContain('fax.tif: 3 pages is over the limit of 2');
    const gif = await sharp(frames, { join: { animated: true } })
      .gif()
      .toBuffer();
    const doc = await openDocument(gif, 'anim.gif', limits);
    expect(doc.pageCount).toBe(1);
    const image = await (await doc.page(1)).image();
    expect([image.height, ...pixel(image, 15, 5)]).toEqual([10, 255, 0, 0]);
  });

  it('decodes BMP, which sharp cannot, and renders it to PNG for the viewer', async () => {
    const { data, info } = await redBlue().raw().toBuffer({ resolveWithObject: true });
    const bmp = encodeBmp(
      { data, width: info.width, height: info.height, channels: 3 },
      { bitsPerPixel: 24 },
    );
    const doc = await openDocument(bmp, 'scan.bmp', limits);
    const page = await doc.page(1);
    expect(pixel(await page.image(), 5, 5)).toEqual([255, 0, 0]);
    const png = await page.renderPng();
    expect(await sharp(png).metadata()).toMatchObject({ format: 'png', width: 40, height: 20 });
  });

  it('keeps grey scans as one channel', async () => {
    const grey = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    const image = await (await (await openDocument(grey, 'g.png', limits)).page(1)).image();
    expect(image.channels).toBe(1);
    expect(pixel(image, 1, 1)).toEqual([128]);
  });
});

describe('openDocument: PDF', () => {
  it('reads a text-layer page as lines in page pixels at the render dpi, without rendering', async () => {
    const pdf = buildPdf([
      { width: 200, height: 100, texts: [{ text: 'Invoice No. 42', x: 10, y: 70, size: 12 }] },
    ]);
    const doc = await openDocument(pdf, 'invoice.pdf', limits);
    expect(doc).toMatchObject({ mime: 'application/pdf', kind: 'pdf', pageCount: 1 });
    const page = await doc.page(1);
    // 200×100 pt at 144 dpi = 400×200 px.
    expect(page).toMatchObject({ width: 400, height: 200, dpi: 144 });
    expect(page.textLines).toHaveLength(1);
    const line = page.textLines![0]!;
    expect(line).toMatchObject({ text: 'Invoice No. 42', confidence: 1, block: 0 });
    // Baseline 70 pt from the bottom = 30 pt from the top = 60 px; the glyphs sit just above it.
    const [x0, y0, x1, , , y2] = line.box;
    expect(x0).toBeGreaterThan(19);
    expect(x0).toBeLessThan(24);
    expect(y0).toBeGreaterThan(35);
    expect(y2).toBeGreaterThan(55);
    expect(y2).toBeLessThan(66);
    expect(x1 - x0).toBeGreaterThan(100); // 14 characters of 12 pt Helvetica at 2 px/pt
  });

  it('spells out ligatures (PDFium decomposes them) so that words are found as typed', async () => {
    const pdf = buildPdf([
      { texts: [{ text: '\xaenance', x: 72, y: 700, size: 12, standardEncoding: true }] },
    ]);
    const page = await (await openDocument(pdf, 'ligature.pdf', limits)).page(1);
    expect(page.textLines?.map((l) => l.text)).toEqual(['finance']);
  });

  it('drops text placed wholly off the page', async () => {
    const pdf = buildPdf([
      {
        texts: [
          { text: 'Visible', x: 72, y: 700, size: 12 },
          { text: 'Hidden left', x: -400, y: 600, size: 12 },
          { text: 'Hidden below', x: 72, y: -100, size: 12 },
        ],
      },
    ]);
    const page = await (await openDocument(pdf, 'offpage.pdf', limits)).page(1);
    expect(page.textLines?.map((l) => l.text)).toEqual(['Visible']);
  });

  it('keeps the hyphen of a word broken across lines (PDFium marks it with a control character)', async () => {
    const pdf = buildPdf([
      {
        texts: [
          { text: 'Encoding Rules manip-', x: 72, y: 700, size: 12 },
          { text: 'ulation of data.', x: 72, y: 686, size: 12 },
        ],
      },
    ]);
    const page = await (await openDocument(pdf, 'hyphen.pdf', limits)).page(1);
    expect(page.textLines?.map((l) => l.text)).toEqual(['Encoding Rules manip-', 'ulation of data.']);
  });

  it('marks a scanned page (an image, no text) as needing OCR and renders it at the configured dpi', async () => {
    const rgb = new Uint8Array(10 * 10 * 3).fill(0); // a black square
    const pdf = buildPdf([
      { width: 100, height: 50, image: { rgb, width: 10, height: 10, x: 0, y: 0, w: 50, h: 50 } },
    ]);
    const doc = await openDocument(pdf, 'scan.pdf', limits);
    const page = await doc.page(1);
    expect(page.textLines).toBeUndefined();
    const image = await page.image();
    expect(image).toMatchObject({ width: 200, height: 100, channels: 3 });
    expect(pixel(image, 50, 50)).toEqual([0, 0, 0]); // inside the square
    expect(pixel(image, 150, 50)).toEqual([255, 255, 255]); // white paper beside it
    const png = await page.renderPng(72);
    expect(await sharp(png).metadata()).toMatchObject({ width: 100, height: 50 });
    expect((await codeOf(page.renderPng(0))).message).toBe(
      'scan.pdf page 1: cannot render at 0 dpi; use 1 to 1200.',
    );
  });

  it('treats a scan with a few words of text (a scanner app watermark) as a scan, but trusts an OCR-ed scan', async () => {
    const rgb = new Uint8Array(8 * 8 * 3).fill(200);
    const fullPage = { rgb, width: 8, height: 8, x: 0, y: 0, w: 595, h: 842 };
    const recognised = Array.from({ length: 6 }, (_, i) => ({
      text: `Line ${i + 1} of the text an OCR program put behind the scan.`,
      x: 72,
      y: 700 - i * 14,
      size: 10,
    }));
    const pdf = buildPdf([
      { image: fullPage, texts: [{ text: 'Scanned by MyScanApp', x: 20, y: 20, size: 8 }] },
      { image: fullPage, texts: recognised },
    ]);
    const doc = await openDocument(pdf, 'scans.pdf', limits);
    expect((await doc.page(1)).textLines).toBeUndefined();
    expect((await doc.page(2)).textLines).toHaveLength(6);
  });

  it('handles a mixed PDF page by page, and a page stored rotated', async () => {
    const pdf = buildPdf([
      { texts: [{ text: 'Typed page', x: 72, y: 700, size: 12 }] },
      {},
      { width: 200, height: 100, rotate: 90, texts: [{ text: 'Sideways', x: 10, y: 70, size: 12 }] },
    ]);
    const doc = await openDocument(pdf, 'mixed.pdf', limits);
    expect(doc.pageCount).toBe(3);
    expect((await doc.page(1)).textLines?.map((l) => l.text)).toEqual(['Typed page']);
    expect((await doc.page(2)).textLines).toBeUndefined();
    const rotated = await doc.page(3);
    // /Rotate 90 makes the page 100 pt wide and 200 pt tall; the text runs downwards as one line.
    expect([rotated.width, rotated.height]).toEqual([200, 400]);
    expect(rotated.textLines?.map((l) => l.text)).toEqual(['Sideways']);
    const [x0, y0, x1, y1] = rotated.textLines![0]!.box;
    expect(x1).toBeCloseTo(x0, 0); // the text's top edge is vertical
    expect(y1 - y0).toBeGreaterThan(80);
    await doc.close();
    expect((await codeOf(doc.page(1))).message).toContain('already closed');
  });

  it('refuses an encrypted PDF with ENCRYPTED_PDF', async () => {
    const pdf = buildPdf([{ texts: [{ text: 'secret', x: 72, y: 700, size: 12 }] }], {
      userPassword: 'hunter2',
    });
    const { code, message } = await codeOf(openDocument(pdf, 'locked.pdf', limits));
    expect(code).toBe('ENCRYPTED_PDF');
    expect(message).toMatch(/^locked\.pdf: the PDF is encrypted and needs a password/);
  });

  it('refuses a cut-short PDF with CORRUPT_FILE', async () => {
    const pdf = buildPdf([{ texts: [{ text: 'x', x: 72, y: 700, size: 12 }] }]);
    const { code, message } = await codeOf(openDocument(pdf.subarray(0, 120), 'cut.pdf', limits));
    expect(code).toBe('CORRUPT_FILE');
    expect(message).toContain('cut.pdf');
  });

  it('refuses more pages than maxPages before reading any', async () => {
    const pdf = buildPdf([{}, {}, {}]);
    const { code, message } = await codeOf(openDocument(pdf, 'long.pdf', { ...limits, maxPages: 2 }));
    expect(code).toBe('TOO_MANY_PAGES');
    expect(message).toContain('3 pages is over the limit of 2');
  });

  it('counts the pages a PDF has, not the /Count it claims', async () => {
    const pdf = Buffer.from(buildPdf([{ texts: [{ text: 'only page', x: 72, y: 700, size: 12 }] }]));
    const claims = Buffer.from(pdf.toString('latin1').replace('/Count 1 ', '/Count 999999999 '), 'latin1');
    expect(claims.toString('latin1')).toContain('/Count 999999999');
    const doc = await openDocument(claims, 'claims.pdf', limits);
    expect(doc.pageCount).toBe(1);
    expect((await doc.page(1)).textLines?.map((l) => l.text)).toEqual(['only page']);
  });

  it('opens what PDF readers open: a broken cross-reference table, junk before the header', async () => {
    const pdf = Buffer.from(buildPdf([{ texts: [{ text: 'Still readable', x: 72, y: 700, size: 12 }] }]));
    // Every object offset and startxref wrong: PDFium rebuilds the table by scanning the file.
    const badXref = pdf
      .toString('latin1')
      .replace(/\d{10} 00000 n/g, '0000000000 00000 n')
      .replace(/startxref\n\d+/, 'startxref\n999999');
    const junk = Buffer.concat([Buffer.from('From: mail gateway\r\n\r\n'), pdf]);
    for (const [name, bytes] of [
      ['bad-xref.pdf', Buffer.from(badXref, 'latin1')],
      ['junk.pdf', junk],
    ] as const) {
      const doc = await openDocument(bytes, name, limits);
      expect((await doc.page(1)).textLines?.map((l) => l.text)).toEqual(['Still readable']);
      await doc.close();
    }
  });

  it('streams a 500-page scanned PDF: rendering every page leaves PDFium no bigger than one page did', async () => {
    const rgb = new Uint8Array(4 * 4 * 3).fill(90);
    // 300 pt squares at 144 dpi: 600×600 px, a 1.4 MB bitmap inside PDFium per page rendered.
    const page = { width: 300, height: 300, image: { rgb, width: 4, height: 4, x: 0, y: 0, w: 300, h: 300 } };
    const pdf = buildPdf(Array.from({ length: 500 }, () => page));
    const doc = await openDocument(pdf, 'long-scan.pdf', limits);
    expect(doc.pageCount).toBe(500);
    const first = await (await doc.page(1)).image();
    expect(pixel(first, 300, 300)).toEqual([90, 90, 90]);
    const afterOnePage = pdfEngineHeapBytes()!;
    for (let n = 2; n <= 500; n++) {
      const image = await (await doc.page(n)).image();
      expect(image.width * image.height).toBe(360_000);
    }
    // Pages or bitmaps kept open would have grown the heap by ~700 MB; allow a few allocator pages.
    expect(pdfEngineHeapBytes()! - afterOnePage).toBeLessThan(8 * 1024 * 1024);
    await doc.close();
  });

  it('refuses to render a page whose pixels would exceed maxPixels, but still reads its text layer', async () => {
    // 200 × 200 inches at 144 dpi = 28 800² pixels.
    const pdf = buildPdf([
      { width: 14400, height: 14400, texts: [{ text: 'huge', x: 72, y: 72, size: 12 }] },
    ]);
    const doc = await openDocument(pdf, 'poster.pdf', limits);
    const page = await doc.page(1);
    expect(page.textLines?.map((l) => l.text)).toEqual(['huge']);
    const { code, message } = await codeOf(page.image());
    expect(code).toBe('TOO_MANY_PIXELS');
    expect(message).toContain('poster.pdf page 1: 28800×28800');
  });

  it('refuses to render a page holding an image over maxPixels (PDFium would decode it at full size)', async () => {
    // A 2000×2000 image (4 MP) drawn on a 100 pt page: the page renders at 200×200 px, under the 1 MP limit.
    const image = {
      rgb: new Uint8Array(2000 * 2000 * 3),
      width: 2000,
      height: 2000,
      x: 0,
      y: 0,
      w: 100,
      h: 100,
    };
    const pdf = buildPdf([{ width: 100, height: 100, image }]);
    const doc = await openDocument(pdf, 'bomb.pdf', { ...limits, maxPixels: 1_000_000 });
    const page = await doc.page(1);
    expect([page.width, page.height, page.textLines]).toEqual([200, 200, undefined]);
    const { code, message } = await codeOf(page.image());
    expect(code).toBe('TOO_MANY_PIXELS');
    expect(message).toBe(
      'bomb.pdf page 1, an image on it: 2000×2000 = 4,000,000 pixels is over the limit of 1,000,000 ' +
        '(intake.maxPixels). Scale it down, or raise the limit if you trust the file.',
    );
    expect((await codeOf(page.renderPng(72))).code).toBe('TOO_MANY_PIXELS');
    // Under the limit the same page renders: the image is black on the whole page.
    const allowed = await (await openDocument(pdf, 'bomb.pdf', limits)).page(1);
    expect(pixel(await allowed.image(), 100, 100)).toEqual([0, 0, 0]);
  });
});

describe('openDocument: bad input', () => {
  it('refuses zero bytes with EMPTY_FILE', async () => {
    expect(await codeOf(openDocument(new Uint8Array(), 'empty.png', limits))).toEqual({
      code: 'EMPTY_FILE',
      message: 'empty.png is empty (0 bytes). Check that the upload or copy finished.',
    });
  });

  it('refuses other types with UNSUPPORTED_TYPE, saying what was found and what is accepted', async () => {
    const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...new Array(60).fill(0)]);
    const { code, message } = await codeOf(openDocument(zip, 'report.png', limits));
    expect(code).toBe('UNSUPPORTED_TYPE');
    expect(message).toMatch(
      /^report\.png: not a supported document \(found zip .*\)\. Send PNG, JPEG, WebP, TIFF, BMP, GIF or PDF\.$/,
    );
  });

  it('refuses a decompression bomb from its header, before decoding', async () => {
    const bomb = pngBomb(20000, 20000);
    expect(bomb.length).toBeLessThan(1000);
    const { code, message } = await codeOf(openDocument(bomb, 'bomb.png', limits));
    expect(code).toBe('TOO_MANY_PIXELS');
    expect(message).toContain('20000×20000 = 400,000,000 pixels is over the limit of 100,000,000');
  });

  it('refuses a JPEG whose frame header claims 65000×65000 before decoding it', async () => {
    const jpeg = Buffer.from(await redBlue().jpeg().toBuffer());
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0])); // baseline start-of-frame: height, then width
    jpeg.writeUInt16BE(65000, sof + 5);
    jpeg.writeUInt16BE(65000, sof + 7);
    const { code, message } = await codeOf(openDocument(jpeg, 'claims.jpg', limits));
    expect(code).toBe('TOO_MANY_PIXELS');
    expect(message).toContain('claims.jpg: 65000×65000');
  });

  it('refuses an oversized BMP from its header', async () => {
    const bmp = encodeBmp(
      { data: new Uint8Array(3), width: 1, height: 1, channels: 3 },
      { bitsPerPixel: 24 },
    );
    new DataView(bmp.buffer).setInt32(18, 50000, true);
    new DataView(bmp.buffer).setInt32(22, 50000, true);
    expect((await codeOf(openDocument(bmp, 'big.bmp', limits))).code).toBe('TOO_MANY_PIXELS');
  });

  it('refuses a truncated PNG with CORRUPT_FILE when its pixels are decoded', async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123456' } })
      .composite([
        { input: Buffer.from('<svg width="64" height="64"><circle cx="32" cy="32" r="20"/></svg>') },
      ])
      .png({ compressionLevel: 0 })
      .toBuffer();
    const doc = await openDocument(png.subarray(0, png.length / 2), 'half.png', limits);
    const { code, message } = await codeOf((await doc.page(1)).image());
    expect(code).toBe('CORRUPT_FILE');
    expect(message).toMatch(/^half\.png: the image is damaged or cut short/);
    // Cut inside the header: refused at open.
    expect((await codeOf(openDocument(png.subarray(0, 20), 'stub.png', limits))).code).toBe('CORRUPT_FILE');
  });

  it.each(['jpeg', 'webp', 'gif', 'tiff'] as const)(
    'refuses a %s cut short with CORRUPT_FILE naming the file, at open or when decoded',
    async (format) => {
      const whole = await sharp({ create: { width: 200, height: 120, channels: 3, background: '#f0f0f0' } })
        .composite([
          {
            input: Buffer.from(
              '<svg width="200" height="120"><text x="10" y="70" font-size="40">Cut short</text></svg>',
            ),
          },
        ])
        .toFormat(format)
        .toBuffer();
      const name = `half.${format}`;
      const read = async (): Promise<RawImage> => {
        const doc = await openDocument(whole.subarray(0, whole.length / 2), name, limits);
        return (await doc.page(1)).image();
      };
      const { code, message } = await codeOf(read());
      expect(code).toBe('CORRUPT_FILE');
      expect(message).toMatch(new RegExp(`^half\\.${format}: the image is damaged or cut short`));
      expect(message).not.toContain('\n');
    },
  );

  it('refuses files over maxFileBytes', async () => {
    const png = await redBlue().png().toBuffer();
    const { code, message } = await codeOf(openDocument(png, 'a.png', { ...limits, maxFileBytes: 100 }));
    expect(code).toBe('FILE_TOO_LARGE');
    expect(message).toContain('over the file size limit');
  });
});
