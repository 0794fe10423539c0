import { describe, expect, it } from 'vitest';
import { contentDisposition } from './content-disposition.js';

describe('contentDisposition', () => {
  it('gives an ASCII fallback and the exact UTF-8 name (RFC 5987)', () => {
    expect(contentDisposition('attachment', '发票 2024.pdf')).toBe(
      `attachment; filename="__ 2024.pdf"; filename*=UTF-8''%E5%8F%91%E7%A5%A8%202024.pdf`,
    );
    const header = contentDisposition('inline', `it's (1).pdf`);
    expect(header).toBe(`inline; filename="it's (1).pdf"; filename*=UTF-8''it%27s%20%281%29.pdf`);
  });

  it('never lets a name break out of the header or the quotes, or name a path', () => {
    const header = contentDisposition('attachment', 'a.pdf"\r\nSet-Cookie: x=1; evil="\\..\\/etc/passwd');
    expect(header).not.toMatch(/[\r\n]/);
    const fallback = /filename="([^"]*)"/.exec(header)![1]!;
    expect(header.startsWith(`attachment; filename="${fallback}"; filename*=UTF-8''`)).toBe(true);
    expect(fallback).not.toMatch(/[/\\"]/);
    expect(contentDisposition('attachment', '\u0000\r\n')).toContain('filename="document"');
    expect(contentDisposition('attachment', 'x\uD800.pdf')).toContain(`filename*=UTF-8''x%EF%BF%BD.pdf`);
  });
});
