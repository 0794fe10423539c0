/**
 * Walks the chain of image directories (IFDs) of a TIFF without decoding anything, to tell which pages
 * lie wholly inside the file. libvips counts pages by reading every directory, and a file cut short loses
 * its last directory or the last page's strips: it then drops that page from the count and fails every
 * page's decode. This walk finds the page that was cut, so the intact ones can still be read.
 */

import { DocSightError } from '../../errors.js';

/**
 * Most directory entries plus tag values one file may declare over all its directories. libtiff reads every
 * value of a directory each time a page is opened, so a few MB of file can declare billions of values
 * (1 999 directories each pointing one 1 000 000-value tag at the same shared array). A 2 000-page scan
 * with a few hundred strips per page declares about 2 million; this is eight times that.
 */
export const MAX_TIFF_DECLARED_VALUES = 16_000_000;

/** What the directory chain says: how many pages it names, and which of them are cut short. */
export interface TiffDirectories {
  /** Pages the chain names, counting one whose directory points past the end of the file. */
  pageCount: number;
  /** 0-based pages whose directory, tag values, strips or tiles run past the end of the file. */
  damaged: Set<number>;
  /**
   * Where the file's pointers are, to make a page the file's only one (see `isolateTiffPage`): the first-
   * directory pointer in the header, and each page's own next-directory pointer (undefined when cut off).
   */
  pointers: { little: boolean; big: boolean; first: number; next: (number | undefined)[]; ifds: number[] };
}

/**
 * Rewrites `bytes` (a private copy of the file) in place so that page `index` is its only page: the header
 * points at that page's directory and the directory's next pointer is 0. libvips re-reads the whole chain
 * of directories for every page it opens, which makes a 2 000-page file cost 2 000² directory reads; an
 * isolated page costs one. Returns a function that puts the bytes back.
 *
 * @example
 *   const restore = isolateTiffPage(copy, dirs, 41);
 *   try { await sharp(copy).raw().toBuffer(); } finally { restore(); }
 */
export function isolateTiffPage(bytes: Uint8Array, dirs: TiffDirectories, index: number): () => void {
  const { little, big, first, next, ifds } = dirs.pointers;
  const nextAt = next[index];
  const ifd = ifds[index];
  if (nextAt === undefined || ifd === undefined) throw new RangeError(`page ${index} has no whole directory`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const get = (at: number): bigint =>
    big ? view.getBigUint64(at, little) : BigInt(view.getUint32(at, little));
  const set = (at: number, value: bigint): void =>
    big ? view.setBigUint64(at, value, little) : view.setUint32(at, Number(value), little);
  const [oldFirst, oldNext] = [get(first), get(nextAt)];
  set(first, BigInt(ifd));
  set(nextAt, 0n);
  return () => {
    set(nextAt, oldNext);
    set(first, oldFirst);
  };
}

const STRIP_OFFSETS = 273;
const STRIP_BYTE_COUNTS = 279;
const TILE_OFFSETS = 324;
const TILE_BYTE_COUNTS = 325;
/** Bytes per value of each TIFF field type; unknown types are treated as 1 byte. */
const TYPE_SIZE: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
  16: 8,
  17: 8,
  18: 8,
};

/**
 * Reads the directory chain of a classic or BigTIFF file; undefined when the header is not TIFF.
 * Stops after `maxPages + 1` directories or at a loop, and reads only strip and tile values, so a hostile
 * chain costs little; a file declaring more than MAX_TIFF_DECLARED_VALUES entries and values in all is
 * refused with TOO_COMPLEX (libvips would read them all again for every page).
 *
 * @example
 *   const dirs = readTiffDirectories(bytes, 2000);
 *   if (dirs?.damaged.has(2)) console.log('page 3 is cut short');
 */
export function readTiffDirectories(
  bytes: Uint8Array,
  maxPages: number,
  name = 'the TIFF',
): TiffDirectories | undefined {
  if (bytes.length < 8) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const order = view.getUint16(0);
  if (order !== 0x4949 && order !== 0x4d4d) return undefined;
  const little = order === 0x4949;
  const magic = view.getUint16(2, little);
  if (magic !== 42 && magic !== 43) return undefined;
  const big = magic === 43;
  if (big && bytes.length < 16) return undefined;
  const end = bytes.length;
  const u16 = (at: number): number => view.getUint16(at, little);
  const u32 = (at: number): number => view.getUint32(at, little);
  const u64 = (at: number): number => Number(view.getBigUint64(at, little));
  const offsetSize = big ? 8 : 4;
  const readOffset = (at: number): number => (big ? u64(at) : u32(at));
  const entrySize = big ? 20 : 12;
  const countSize = big ? 8 : 2;

  /** Entries and values declared so far, against MAX_TIFF_DECLARED_VALUES. */
  let declared = 0;
  const spend = (n: number): void => {
    declared += n;
    if (declared > MAX_TIFF_DECLARED_VALUES) {
      throw new DocSightError(
        'TOO_COMPLEX',
        `${name}: the TIFF's directories declare more than ${MAX_TIFF_DECLARED_VALUES.toLocaleString('en-US')} ` +
          'entries and tag values, far more than any scan needs; reading it would take minutes. Re-save it ' +
          '(e.g. convert to PDF or PNG) and try again.',
      );
    }
  };

  /**
   * The values of one entry, as numbers, when `wanted` (SHORT, LONG or LONG8 only; others give []);
   * undefined when they lie outside the file. Unwanted values are only bounds-checked, never read.
   */
  const readValues = (entry: number, type: number, count: number, wanted: boolean): number[] | undefined => {
    spend(count);
    const size = TYPE_SIZE[type] ?? 1;
    const inline = size * count <= offsetSize;
    const at = inline ? entry + (big ? 12 : 8) : readOffset(entry + (big ? 12 : 8));
    if (at + size * count > end) return undefined;
    if (!wanted || (type !== 3 && type !== 4 && type !== 16)) return [];
    const values: number[] = [];
    for (let i = 0; i < count; i++) {
      const p = at + i * size;
      values.push(type === 3 ? u16(p) : type === 4 ? u32(p) : u64(p));
    }
    return values;
  };

  /** True when the directory at `ifd`, its out-of-line values and its strips or tiles all lie inside. */
  const pageIsWhole = (ifd: number, entries: number): boolean => {
    let offsets: number[] = [];
    let counts: number[] = [];
    for (let i = 0; i < entries; i++) {
      const entry = ifd + countSize + i * entrySize;
      const tag = u16(entry);
      const type = u16(entry + 2);
      const count = big ? u64(entry + 4) : u32(entry + 4);
      const strips =
        tag === STRIP_OFFSETS ||
        tag === TILE_OFFSETS ||
        tag === STRIP_BYTE_COUNTS ||
        tag === TILE_BYTE_COUNTS;
      const values = readValues(entry, type, count, strips);
      if (!values) return false;
      if (tag === STRIP_OFFSETS || tag === TILE_OFFSETS) offsets = values;
      if (tag === STRIP_BYTE_COUNTS || tag === TILE_BYTE_COUNTS) counts = values;
    }
    return offsets.every((offset, i) => offset + (counts[i] ?? 0) <= end);
  };

  const damaged = new Set<number>();
  const seen = new Set<number>();
  const first = 4 + (big ? 4 : 0);
  const nextPointers: (number | undefined)[] = [];
  const ifds: number[] = [];
  let ifd = readOffset(first);
  let page = 0;
  while (ifd !== 0 && !seen.has(ifd) && page <= maxPages) {
    seen.add(ifd);
    if (ifd + countSize > end) {
      damaged.add(page++);
      break;
    }
    const entries = big ? u64(ifd) : u16(ifd);
    const next = ifd + countSize + entries * entrySize;
    if (next + offsetSize > end) {
      damaged.add(page++);
      break;
    }
    spend(entries);
    if (!pageIsWhole(ifd, entries)) damaged.add(page);
    ifds[page] = ifd;
    nextPointers[page] = next;
    page++;
    ifd = readOffset(next);
  }
  return { pageCount: page, damaged, pointers: { little, big, first, next: nextPointers, ifds } };
}
