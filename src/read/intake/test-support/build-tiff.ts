/**
 * Writes small classic (little-endian) TIFF files entry by entry, for tests that need directory chains no
 * encoder would write: many pages, private tags with huge value counts, values shared between directories.
 */

export interface TiffPageSpec {
  width?: number;
  height?: number;
  /** A private tag (65000) of this many LONG values, all pointing at one array shared by every page. */
  privateValues?: number;
}

/**
 * A grey, uncompressed TIFF with one directory per page; every page's pixels are one shared strip of
 * mid-grey. Directories are chained in order.
 *
 * @example
 *   const bomb = buildTiff(Array.from({ length: 2000 }, () => ({ privateValues: 1_000_000 })));
 */
export function buildTiff(pages: TiffPageSpec[]): Uint8Array {
  const maxWidth = Math.max(1, ...pages.map((p) => p.width ?? 1));
  const maxHeight = Math.max(1, ...pages.map((p) => p.height ?? 1));
  const sharedValues = Math.max(0, ...pages.map((p) => p.privateValues ?? 0));
  const pixelsAt = 8;
  const pixelBytes = maxWidth * maxHeight;
  const sharedAt = pixelsAt + pixelBytes + (pixelBytes % 2);
  const firstIfd = sharedAt + sharedValues * 4;
  const ifdSize = (entries: number): number => 2 + entries * 12 + 4;
  const entriesOf = (p: TiffPageSpec): number => (p.privateValues ? 9 : 8);
  const total = firstIfd + pages.reduce((sum, p) => sum + ifdSize(entriesOf(p)), 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]);
  view.setUint32(4, pages.length > 0 ? firstIfd : 0, true);
  out.fill(128, pixelsAt, pixelsAt + pixelBytes);
  let at = firstIfd;
  pages.forEach((page, i) => {
    const width = page.width ?? 1;
    const height = page.height ?? 1;
    const entries: [tag: number, type: number, count: number, value: number][] = [
      [256, 4, 1, width],
      [257, 4, 1, height],
      [258, 3, 1, 8],
      [259, 3, 1, 1],
      [262, 3, 1, 1],
      [273, 4, 1, pixelsAt],
      [278, 4, 1, height],
      [279, 4, 1, width * height],
    ];
    if (page.privateValues) entries.push([65000, 4, page.privateValues, sharedAt]);
    view.setUint16(at, entries.length, true);
    entries.forEach(([tag, type, count, value], e) => {
      const entry = at + 2 + e * 12;
      view.setUint16(entry, tag, true);
      view.setUint16(entry + 2, type, true);
      view.setUint32(entry + 4, count, true);
      if (type === 3 && count === 1) view.setUint16(entry + 8, value, true);
      else view.setUint32(entry + 8, value, true);
    });
    const next = at + ifdSize(entries.length);
    view.setUint32(at + 2 + entries.length * 12, i + 1 < pages.length ? next : 0, true);
    at = next;
  });
  return out;
}
