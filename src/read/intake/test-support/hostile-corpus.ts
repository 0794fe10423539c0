import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { buildPdf } from './build-pdf.js';
import { buildTiff } from './build-tiff.js';
import { encodeBmp } from './encode-bmp.js';
import {
  formFanOutPdf,
  hiddenHugeImagePdf,
  inflatingContentPdf,
  rawPdf,
  streamObject,
} from './hostile-pdf.js';
import { pngBomb } from './png-bomb.js';

/**
 * A corpus of files built to hurt a document reader, written at test time (nothing binary is committed):
 * endless loops in decoders, work or memory bombs, cut-short and self-referencing structures, special
 * files, and names that are terminal escape sequences. Each class of attack has several variants, so a
 * fix that only matches one recipe shows. `writeHostileCorpus` returns the paths it wrote; the files a
 * test should expect to be refused without being read (FIFOs, devices) are marked `special`.
 *
 * Sizes stay within what a CI machine generates in a few seconds: memory bombs are a few hundred MB when
 * inflated, enough to pass the engine memory cap the corpus tests run with (see hostile-corpus.test.ts).
 */
export interface HostileFile {
  path: string;
  /** The class of attack, for messages. */
  kind: string;
  /** A FIFO or a link to a device: only ever refused, never read. */
  special?: boolean;
}

/** A 32-bit BI_BITFIELDS BMP (40-byte header + 3 masks) of `width`×`height` with the given masks. */
function bitfieldsBmp(masks: number[], width = 4, height = 4, bits = 32): Buffer {
  const stride = Math.floor((bits * width + 31) / 32) * 4;
  const out = Buffer.alloc(14 + 40 + 12 + stride * height, 0xff);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(0, 6);
  out.writeUInt32LE(14 + 40 + 12, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bits, 28);
  out.writeUInt32LE(3, 30);
  out.writeUInt32LE(stride * height, 34);
  out.writeUInt32LE(0, 46);
  masks.forEach((m, i) => out.writeUInt32LE(m >>> 0, 54 + i * 4));
  return out;
}

/** A baseline JPEG whose frame header claims `width`×`height` (no real scan data). */
function jpegClaiming(width: number, height: number): Buffer {
  const sof = Buffer.from([
    0xff,
    0xc0,
    0,
    11,
    8,
    height >> 8,
    height & 255,
    width >> 8,
    width & 255,
    1,
    1,
    0x11,
    0,
  ]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), sof, Buffer.from([0xff, 0xd9])]);
}

/** A GIF whose logical screen and only image claim `width`×`height`, with a few bytes of LZW data. */
function gifClaiming(width: number, height: number): Buffer {
  const u16 = (n: number) => [n & 255, n >> 8];
  return Buffer.from([
    ...Buffer.from('GIF89a'),
    ...u16(width),
    ...u16(height),
    0,
    0,
    0,
    0x2c,
    0,
    0,
    0,
    0,
    ...u16(width),
    ...u16(height),
    0,
    2,
    2,
    0x4c,
    0x01,
    0,
    0x3b,
  ]);
}

/** A PNG chunk with its CRC. */
function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** A 1-bit grey PNG of `width`×`height` whose pixels are a real (all-white) zlib stream: a true bomb. */
function pngTrueBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([1, 0, 0, 0, 0], 8);
  const row = Buffer.alloc(1 + Math.ceil(width / 8), 0xff);
  row[0] = 0;
  const idat = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A one-page PDF whose single object is `depth` nested arrays (a recursive parser's stack). */
function deepArrayPdf(depth: number): Uint8Array {
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Junk ${'['.repeat(depth)}${']'.repeat(depth)} >>`,
  ]);
}

/** A PDF whose page tree's Kids include the tree itself, and which claims a million pages. */
function pageTreeLoopPdf(): Uint8Array {
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 1000000 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>',
  ]);
}

/** A page drawing an image of `side`×`side` directly (a bomb PDFium would decode at full size). */
function bigImageOnPagePdf(side: number): Uint8Array {
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << /XObject << /I 5 0 R >> >> /Contents 4 0 R >>',
    streamObject('', Buffer.from('q 200 0 0 200 0 0 cm /I Do Q')),
    streamObject(
      `/Type /XObject /Subtype /Image /Width ${side} /Height ${side} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode`,
      deflateSync(Buffer.alloc(64)),
    ),
  ]);
}

/** A tiling pattern that paints itself: a loop in the drawing, not the parsing. */
function selfPatternPdf(): Uint8Array {
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << /Pattern << /P 5 0 R >> >> /Contents 4 0 R >>',
    streamObject('', Buffer.from('/Pattern cs /P scn 0 0 200 200 re f')),
    streamObject(
      '/Type /Pattern /PatternType 1 /PaintType 1 /TilingType 1 /BBox [0 0 0.01 0.01] /XStep 0.01 /YStep 0.01 /Resources << /Pattern << /P 5 0 R >> >>',
      Buffer.from('/Pattern cs /P scn 0 0 0.01 0.01 re f'),
    ),
  ]);
}

/** A form XObject that draws itself. */
function selfFormPdf(): Uint8Array {
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << /XObject << /F 5 0 R >> >> /Contents 4 0 R >>',
    streamObject('', Buffer.from('/F Do')),
    streamObject(
      '/Type /XObject /Subtype /Form /BBox [0 0 200 200] /Resources << /XObject << /F 5 0 R >> >>',
      Buffer.from('/F Do'),
    ),
  ]);
}

/**
 * Writes the corpus into `dir` and returns its files (≥ 60). Special files (a FIFO, a link to /dev/zero)
 * are included only where the platform has them.
 *
 * @example
 *   const files = await writeHostileCorpus(mkdtempSync(join(tmpdir(), 'corpus-')));
 */
export async function writeHostileCorpus(dir: string): Promise<HostileFile[]> {
  mkdirSync(dir, { recursive: true });
  const files: HostileFile[] = [];
  const add = (name: string, kind: string, bytes: Uint8Array | string): void => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    files.push({ path, kind });
  };
  const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
    .png()
    .toBuffer();

  // 1. BMP bit-field masks that loop a naive decoder, and other header lies.
  add('mask-all-ones.bmp', 'bmp masks', bitfieldsBmp([0xffffffff, 0xff00, 0xff]));
  add('mask-top-bit.bmp', 'bmp masks', bitfieldsBmp([0x80000000, 0x40000000, 0x20000000]));
  add('mask-all-ones-everywhere.bmp', 'bmp masks', bitfieldsBmp([0xffffffff, 0xffffffff, 0xffffffff]));
  add('mask-16bit-ones.bmp', 'bmp masks', bitfieldsBmp([0xffff, 0xffff, 0xffffffff], 4, 4, 16));
  add('mask-zero.bmp', 'bmp masks', bitfieldsBmp([0, 0, 0]));
  const huge = bitfieldsBmp([0xff0000, 0xff00, 0xff]);
  huge.writeInt32LE(60_000, 18);
  huge.writeInt32LE(60_000, 22);
  add('bmp-60000-square.bmp', 'bmp header', huge);
  const negative = bitfieldsBmp([0xff0000, 0xff00, 0xff]);
  negative.writeInt32LE(-5, 18);
  add('bmp-negative-width.bmp', 'bmp header', negative);
  const bmp = Buffer.from(
    encodeBmp(
      { data: new Uint8Array(300).fill(7), width: 10, height: 10, channels: 3 },
      { bitsPerPixel: 24 },
    ),
  );
  add('bmp-cut.bmp', 'truncation', bmp.subarray(0, 80));
  const farPixels = Buffer.from(bmp);
  farPixels.writeUInt32LE(0xfffffff0, 10);
  add('bmp-pixels-far.bmp', 'bmp header', farPixels);
  const bigDib = Buffer.from(bmp);
  bigDib.writeUInt32LE(124, 14);
  bigDib.writeUInt16LE(8, 28);
  bigDib.writeUInt32LE(0xffffffff, 46);
  add('bmp-palette-lie.bmp', 'bmp header', bigDib);
  const rle = Buffer.from(bmp);
  rle.writeUInt32LE(1, 30);
  add('bmp-rle.bmp', 'bmp header', rle);

  // 2. Raster bombs and lies in headers.
  add('png-bomb.png', 'pixel bomb', pngBomb(30_000, 30_000));
  add('png-true-bomb.png', 'pixel bomb', pngTrueBomb(20_000, 20_000));
  add('png-cut.png', 'truncation', tiny.subarray(0, tiny.length - 20));
  add('png-header-only.png', 'truncation', tiny.subarray(0, 33));
  const badCrc = Buffer.from(tiny);
  badCrc[30] = (badCrc[30]! + 1) & 255;
  add('png-bad-crc.png', 'corruption', badCrc);
  add('jpeg-65000.jpg', 'pixel bomb', jpegClaiming(65_000, 65_000));
  add('jpeg-no-scan.jpg', 'truncation', jpegClaiming(100, 100));
  add('jpeg-soi-only.jpg', 'truncation', Buffer.from([0xff, 0xd8, 0xff]));
  add('gif-65535.gif', 'pixel bomb', gifClaiming(65_535, 65_535));
  add('gif-cut.gif', 'truncation', gifClaiming(10, 10).subarray(0, 15));
  const webp = await sharp(tiny).webp().toBuffer();
  add('webp-cut.webp', 'truncation', webp.subarray(0, 20));
  const webpHuge = Buffer.from(webp);
  add(
    'webp-riff-lie.webp',
    'corruption',
    Buffer.concat([webpHuge.subarray(0, 4), Buffer.from([0xff, 0xff, 0xff, 0x7f]), webpHuge.subarray(8)]),
  );

  // 3. TIFF directory chains: work bombs, loops, lies.
  add(
    'tiff-tag-bomb.tif',
    'tiff work',
    buildTiff(Array.from({ length: 1999 }, () => ({ privateValues: 1_000_000 }))),
  );
  add(
    'tiff-tag-bomb-few.tif',
    'tiff work',
    buildTiff(Array.from({ length: 20 }, () => ({ privateValues: 1_000_000 }))),
  );
  add(
    'tiff-many-pages.tif',
    'tiff work',
    buildTiff(Array.from({ length: 300 }, () => ({ width: 16, height: 16 }))),
  );
  add('tiff-over-page-limit.tif', 'page count', buildTiff(Array.from({ length: 2001 }, () => ({}))));
  const loop = buildTiff([
    { width: 4, height: 4 },
    { width: 4, height: 4 },
  ]);
  const loopView = new DataView(loop.buffer);
  const firstIfd = loopView.getUint32(4, true);
  loopView.setUint32(firstIfd + 2 + 8 * 12, firstIfd, true); // page 1's next pointer: itself
  add('tiff-loop.tif', 'loop', loop);
  const pastEnd = buildTiff([{ width: 4, height: 4 }]);
  new DataView(pastEnd.buffer).setUint32(4, 0x7ffffff0, true);
  add('tiff-ifd-past-end.tif', 'truncation', pastEnd);
  const hugeDims = buildTiff([{ width: 4, height: 4 }]);
  const hugeView = new DataView(hugeDims.buffer);
  const ifd = hugeView.getUint32(4, true);
  hugeView.setUint32(ifd + 2 + 8, 200_000, true);
  hugeView.setUint32(ifd + 2 + 12 + 8, 200_000, true);
  add('tiff-200000-square.tif', 'pixel bomb', hugeDims);
  const bigtiff = Buffer.alloc(64);
  bigtiff.write('II+\0', 0, 'latin1');
  bigtiff.writeUInt16LE(8, 4);
  bigtiff.writeBigUInt64LE(16n, 8);
  bigtiff.writeBigUInt64LE(0xffffffffffn, 16); // a directory of a trillion entries
  add('bigtiff-entries.tif', 'tiff work', bigtiff);

  // 4. PDF engine exhaustion: memory, fan-out, loops, deep nesting.
  add('pdf-inflate-400mb.pdf', 'pdf memory', inflatingContentPdf(400 * 1024 * 1024));
  add('pdf-form-fan-out.pdf', 'pdf fan-out', formFanOutPdf(16, 4));
  add('pdf-form-fan-out-wide.pdf', 'pdf fan-out', formFanOutPdf(8, 12));
  add('pdf-self-form.pdf', 'loop', selfFormPdf());
  add('pdf-self-pattern.pdf', 'loop', selfPatternPdf());
  add('pdf-page-tree-loop.pdf', 'loop', pageTreeLoopPdf());
  add('pdf-deep-arrays.pdf', 'nesting', deepArrayPdf(100_000));
  // 5. Oversized images where a page-level check does not look.
  add('pdf-smask-30000.pdf', 'hidden pixels', hiddenHugeImagePdf('smask', 30_000));
  add('pdf-nested-17-30000.pdf', 'hidden pixels', hiddenHugeImagePdf('nested-forms', 30_000, 17));
  add('pdf-nested-40-20000.pdf', 'hidden pixels', hiddenHugeImagePdf('nested-forms', 20_000, 40));
  add('pdf-annotation-30000.pdf', 'hidden pixels', hiddenHugeImagePdf('annotation', 30_000));
  add('pdf-image-46000.pdf', 'pixel bomb', bigImageOnPagePdf(46_000));
  add('pdf-poster-page.pdf', 'pixel bomb', buildPdf([{ width: 14_400, height: 14_400 }]));
  add(
    'pdf-over-page-limit.pdf',
    'page count',
    buildPdf(Array.from({ length: 2001 }, () => ({ width: 50, height: 50 }))),
  );
  const pdf = Buffer.from(buildPdf([{ texts: [{ text: 'cut short', x: 72, y: 700, size: 12 }] }]));
  add('pdf-cut.pdf', 'truncation', pdf.subarray(0, pdf.length >> 1));
  add('pdf-header-only.pdf', 'truncation', '%PDF-1.7\n');
  add(
    'pdf-encrypted.pdf',
    'encryption',
    buildPdf([{ texts: [{ text: 'secret', x: 72, y: 700, size: 12 }] }], { userPassword: 'pw' }),
  );
  add(
    'pdf-xref-self.pdf',
    'loop',
    Buffer.from(pdf.toString('latin1').replace(/trailer\n<</, 'trailer\n<< /Prev 9 '), 'latin1'),
  );
  add('pdf-junk-1023.pdf', 'polyglot', Buffer.concat([Buffer.alloc(1000, 0x41), pdf]));

  // 6. Text that escaped the limits.
  add('form-feeds.txt', 'text pages', '\f'.repeat(100_000));
  add('short-lines.txt', 'text lines', 'x\n'.repeat(150_000));
  add('one-long-line.txt', 'text lines', 'y'.repeat(20_000_000));
  add('latin1.txt', 'text encoding', Buffer.from('caf\xe9 cr\xe8me br\xfbl\xe9e\n', 'latin1'));
  add('nul.txt', 'text encoding', Buffer.from('a\0b\0c\0'));
  add('empty.txt', 'empty', '');

  // 7. Not documents, and names that are data.
  add(
    'random.bin',
    'not a document',
    Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)),
  );
  add('zip.pdf', 'not a document', Buffer.from('PK\x03\x04\x14\x00\x00\x00\x08\x00', 'latin1'));
  add('page.html', 'not a document', '<html><body><script>alert(1)</script></body></html>');
  add('empty.png', 'empty', '');
  add('png-named.pdf', 'misnamed', tiny);
  add('\x1b[2J\x1b[31mred\x1b[0m.png', 'hostile name', tiny);
  add('line\nbreak.png', 'hostile name', pngBomb(40_000, 40_000));
  add('\u202Egnp.exe.png', 'hostile name', tiny);

  // 8. Special files: only regular files may be read.
  const zero = join(dir, 'zero.pdf');
  symlinkSync('/dev/zero', zero);
  files.push({ path: zero, kind: 'device', special: true });
  const fifo = join(dir, 'fifo.pdf');
  try {
    execFileSync('mkfifo', [fifo]);
    files.push({ path: fifo, kind: 'fifo', special: true });
  } catch {
    // No mkfifo here: the FIFO case is left out.
  }
  mkdirSync(join(dir, 'folder.pdf'));
  files.push({ path: join(dir, 'folder.pdf'), kind: 'folder', special: true });
  return files;
}
