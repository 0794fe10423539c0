import { deflateRawSync, constants } from 'node:zlib';

/**
 * Writes PDFs built to hurt a reader — streams that inflate to hundreds of MB, forms drawing forms,
 * huge images reached through soft masks, nested forms and annotation appearances — so that intake's
 * limits are tested on real bytes PDFium parses. Each is a few KB; nothing is committed as a binary.
 */

/** A PDF from numbered object bodies (object 1 is the catalog), with a correct cross-reference table. */
export function rawPdf(objects: (string | Buffer)[]): Uint8Array {
  const parts: Buffer[] = [Buffer.from('%PDF-1.5\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let length = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(length);
    const chunk = Buffer.concat([
      Buffer.from(`${i + 1} 0 obj\n`, 'latin1'),
      typeof body === 'string' ? Buffer.from(body, 'latin1') : body,
      Buffer.from('\nendobj\n', 'latin1'),
    ]);
    parts.push(chunk);
    length += chunk.length;
  });
  const xref = [
    'xref',
    `0 ${objects.length + 1}`,
    '0000000000 65535 f ',
    ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n `),
    'trailer',
    `<< /Size ${objects.length + 1} /Root 1 0 R >>`,
    'startxref',
    String(length),
    '%%EOF',
    '',
  ].join('\n');
  parts.push(Buffer.from(xref, 'latin1'));
  return new Uint8Array(Buffer.concat(parts));
}

/** A stream object's text: dictionary entries (without << >>) and the data. */
export function streamObject(entries: string, data: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`<< ${entries} /Length ${data.length} >>\nstream\n`, 'latin1'),
    data,
    Buffer.from('\nendstream', 'latin1'),
  ]);
}

/**
 * zlib data that inflates to `bytes` copies of `fill`, written without ever holding them: one 1 MiB
 * deflate block, flushed to a byte boundary, is repeated (a full flush leaves no back-references).
 */
export function zlibBomb(bytes: number, fill = 0x20): Buffer {
  const unit = 1024 * 1024;
  const block = deflateRawSync(Buffer.alloc(unit, fill), { finishFlush: constants.Z_FULL_FLUSH, level: 9 });
  const copies = Math.ceil(bytes / unit);
  const end = deflateRawSync(Buffer.alloc(0)); // a final, empty block
  // Adler-32 of the whole output, computed arithmetically.
  let a = 1;
  let b = 0;
  for (let i = 0; i < copies; i++) {
    // Per unit: a grows by unit*fill, b by unit*a_before + fill*unit*(unit+1)/2.
    b = (b + unit * a + fill * ((unit * (unit + 1)) / 2)) % 65521;
    a = (a + unit * fill) % 65521;
  }
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE(((b << 16) | a) >>> 0);
  return Buffer.concat([
    Buffer.from([0x78, 0xda]),
    ...Array.from({ length: copies }, () => block),
    end,
    adler,
  ]);
}

const catalogAndPage = (resources: string, contents: number, extra = ''): string[] => [
  '<< /Type /Catalog /Pages 2 0 R >>',
  '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
  `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources ${resources} /Contents ${contents} 0 R ${extra}>>`,
];

/** A page whose content stream inflates to `bytes` of spaces. */
export function inflatingContentPdf(bytes: number): Uint8Array {
  return rawPdf([...catalogAndPage('<< >>', 4), streamObject('/Filter /FlateDecode', zlibBomb(bytes))]);
}

/** `levels` forms, each drawing the next `fanOut` times: fanOut^(levels-1) draws of the last one. */
export function formFanOutPdf(levels: number, fanOut: number): Uint8Array {
  const first = 5;
  const objects: (string | Buffer)[] = [
    ...catalogAndPage(`<< /XObject << /F 5 0 R >> >>`, 4),
    streamObject('', Buffer.from('/F Do', 'latin1')),
  ];
  for (let i = 0; i < levels; i++) {
    const last = i === levels - 1;
    const body = last ? '0 0 m 10 10 l S' : Array.from({ length: fanOut }, () => 'q /F Do Q').join(' ');
    const resources = last ? '<< >>' : `<< /XObject << /F ${first + i + 1} 0 R >> >>`;
    objects.push(
      streamObject(
        `/Type /XObject /Subtype /Form /BBox [0 0 200 200] /Resources ${resources}`,
        Buffer.from(body),
      ),
    );
  }
  return rawPdf(objects);
}

/** An image XObject's body: grey, `side`×`side`, its pixels a zlib bomb of zeros. */
function hugeImage(side: number, extra = ''): Buffer {
  return streamObject(
    `/Type /XObject /Subtype /Image /Width ${side} /Height ${side} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode ${extra}`,
    zlibBomb(side * side, 0),
  );
}

/** Where a huge image hides from a check of the page's own image objects. */
export type HiddenImageRoute = 'smask' | 'nested-forms' | 'annotation';

/**
 * A page drawing a `side`×`side` image reached through `route`: as the soft mask of a 1×1 image, at the
 * bottom of `depth` nested forms, or in the normal appearance of an annotation.
 */
export function hiddenHugeImagePdf(route: HiddenImageRoute, side: number, depth = 17): Uint8Array {
  if (route === 'smask') {
    return rawPdf([
      ...catalogAndPage('<< /XObject << /I 5 0 R >> >>', 4),
      streamObject('', Buffer.from('q 200 0 0 200 0 0 cm /I Do Q')),
      streamObject(
        '/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 /SMask 6 0 R',
        Buffer.from([0x80]),
      ),
      hugeImage(side),
    ]);
  }
  if (route === 'annotation') {
    return rawPdf([
      ...catalogAndPage('<< >>', 4, '/Annots [5 0 R] '),
      streamObject('', Buffer.from('0 0 m 1 1 l S')),
      '<< /Type /Annot /Subtype /Stamp /Rect [0 0 200 200] /AP << /N 6 0 R >> >>',
      streamObject(
        '/Type /XObject /Subtype /Form /BBox [0 0 200 200] /Resources << /XObject << /I 7 0 R >> >>',
        Buffer.from('q 200 0 0 200 0 0 cm /I Do Q'),
      ),
      hugeImage(side),
    ]);
  }
  const first = 5;
  const objects: (string | Buffer)[] = [
    ...catalogAndPage(`<< /XObject << /F ${first} 0 R >> >>`, 4),
    streamObject('', Buffer.from('/F Do')),
  ];
  for (let i = 0; i < depth; i++) {
    const name = i === depth - 1 ? 'I' : 'F';
    objects.push(
      streamObject(
        `/Type /XObject /Subtype /Form /BBox [0 0 200 200] /Resources << /XObject << /${name} ${first + i + 1} 0 R >> >>`,
        Buffer.from(i === depth - 1 ? 'q 200 0 0 200 0 0 cm /I Do Q' : '/F Do'),
      ),
    );
  }
  objects.push(hugeImage(side));
  return rawPdf(objects);
}
