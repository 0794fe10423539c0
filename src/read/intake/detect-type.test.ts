import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { describeUnsupportedType, detectSupportedType } from './detect-type.js';
import { buildPdf } from './test-support/build-pdf.js';
import { encodeBmp } from './test-support/encode-bmp.js';

const white = { width: 8, height: 8, channels: 3 as const, background: '#ffffff' };

describe('detectSupportedType', () => {
  it('recognises every supported image format from bytes that sharp wrote', async () => {
    const base = sharp({ create: white });
    expect(detectSupportedType(await base.clone().png().toBuffer())).toBe('image/png');
    expect(detectSupportedType(await base.clone().jpeg().toBuffer())).toBe('image/jpeg');
    expect(detectSupportedType(await base.clone().webp().toBuffer())).toBe('image/webp');
    expect(detectSupportedType(await base.clone().tiff().toBuffer())).toBe('image/tiff');
    expect(detectSupportedType(await base.clone().gif().toBuffer())).toBe('image/gif');
  });

  it('recognises BMP and PDF', () => {
    const bmp = encodeBmp(
      { data: new Uint8Array(4 * 4 * 3), width: 4, height: 4, channels: 3 },
      { bitsPerPixel: 24 },
    );
    expect(detectSupportedType(bmp)).toBe('image/bmp');
    expect(detectSupportedType(buildPdf([{}]))).toBe('application/pdf');
  });

  it('accepts a PDF with junk before the header, as PDF readers do', () => {
    const pdf = buildPdf([{}]);
    const junk = new TextEncoder().encode('X-Mailer: old gateway\r\n\r\n');
    expect(detectSupportedType(new Uint8Array([...junk, ...pdf]))).toBe('application/pdf');
  });

  it('ignores what a name would suggest: it only sees bytes', () => {
    expect(detectSupportedType(new TextEncoder().encode('BM is how this sentence starts'))).toBeUndefined();
    expect(detectSupportedType(new TextEncoder().encode('hello'))).toBeUndefined();
  });
});

describe('describeUnsupportedType', () => {
  it('names a known binary format and says "text" for text', async () => {
    const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...new Array(60).fill(0)]);
    expect(await describeUnsupportedType(zip)).toContain('zip');
    expect(await describeUnsupportedType(new TextEncoder().encode('name,amount\nA,1\n'))).toBe('text');
    // Text that is not UTF-8 says so, instead of seeming refused for being text.
    const latin1 = new Uint8Array([...new TextEncoder().encode('caf'), 0xe9, 0x0a]);
    expect(await describeUnsupportedType(latin1)).toMatch(/^text that is not UTF-8/);
    // A sample cut inside a character (4 KiB of "é") is still UTF-8.
    expect(await describeUnsupportedType(new TextEncoder().encode(`a${'é'.repeat(3000)}`))).toBe('text');
    expect(await describeUnsupportedType(new Uint8Array([1, 2, 3, 0, 0, 7]))).toBe('unknown binary data');
  });
});
