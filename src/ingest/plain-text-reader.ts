import { readFile } from 'node:fs/promises';
import { DocSightError } from '../errors.js';
import type { Quad } from '../read/types.js';
import type { PageReader, ReadPage } from './page-reader.js';

/** Layout of the virtual page plain text is set on, so lines get boxes like any other page. */
const CHAR_WIDTH = 10;
const LINE_HEIGHT = 20;
const WRAP = 100;
/**
 * Lines on one virtual page. A page is written in one transaction and searched as one unit, so a text
 * without form feeds (or one 20 MB line, wrapped into 200 000) is set on pages of this many lines.
 */
export const MAX_LINES_PER_TEXT_PAGE = 5000;

export interface PlainTextLimits {
  /** Most pages (form feeds and full virtual pages) one text may make; config.intake.maxPages. */
  maxPages: number;
}

/**
 * A reader for UTF-8 plain text as text-layer pages: a form feed (\f) starts a new page, long lines are
 * wrapped at word boundaries near 100 characters (anywhere when a line has no space), each line gets the
 * box it would have on a monospaced page (10 × 20 px per character), so search results can point at lines,
 * and a page is cut every MAX_LINES_PER_TEXT_PAGE lines. Bytes that are not UTF-8 become U+FFFD (�): the
 * text around them is still found. More pages than `limits.maxPages` is TOO_MANY_PAGES, as for a PDF.
 *
 * @example
 *   const readText = createPlainTextReader(config.intake);
 *   for await (const page of readText({ path, name: 'notes.txt', mime: 'text/plain' }, { signal })) …
 */
export function createPlainTextReader(limits: PlainTextLimits): PageReader {
  return async function* (source, options) {
    const bytes = await readFile(source.path, { signal: options.signal });
    const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(bytes);
    const pages = paginateText(text, source.name, limits);
    for (let i = 0; i < pages.length; i++) {
      options.signal.throwIfAborted();
      options.onPage?.(i, pages.length);
      if (options.skipPages?.has(i + 1)) continue;
      yield layoutLines(pages[i]!, i + 1);
    }
  };
}

/** The default reader, with the default page limit (2 000). */
export const readPlainTextPages: PageReader = createPlainTextReader({ maxPages: 2000 });

/** Splits text into pages of wrapped lines, refusing more pages than the limit before any is laid out. */
function paginateText(text: string, name: string, limits: PlainTextLimits): string[][] {
  const pages: string[][] = [];
  const tooMany = (): DocSightError =>
    new DocSightError(
      'TOO_MANY_PAGES',
      `${name}: the text makes more than ${limits.maxPages} pages (form feeds, or ${MAX_LINES_PER_TEXT_PAGE} ` +
        'lines a page) — over the limit (intake.maxPages). Split the file, or raise the limit.',
    );
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\f', start);
    if (end < 0) end = text.length;
    let lines: string[] = [];
    for (const line of wrapLines(text, start, end)) {
      if (lines.length === MAX_LINES_PER_TEXT_PAGE) {
        pages.push(lines);
        lines = [];
        if (pages.length >= limits.maxPages) throw tooMany();
      }
      lines.push(line);
    }
    pages.push(lines);
    if (pages.length > limits.maxPages) throw tooMany();
    start = end + 1;
  }
  return pages;
}

/** The lines of `text[start, end)`, trimmed, wrapped near WRAP characters; empty lines dropped. */
function* wrapLines(text: string, start: number, end: number): Generator<string> {
  let at = start;
  while (at < end) {
    let lineEnd = text.indexOf('\n', at);
    if (lineEnd < 0 || lineEnd > end) lineEnd = end;
    // Index arithmetic, never repeated slicing of the rest: one 20 MB line is 200 000 cuts of it.
    let from = at;
    for (;;) {
      while (from < lineEnd && isSpace(text.charCodeAt(from))) from++;
      let to = lineEnd;
      while (to > from && isSpace(text.charCodeAt(to - 1))) to--;
      if (to - from <= WRAP) {
        if (to > from) yield text.slice(from, to);
        break;
      }
      // A bounded scan back: lastIndexOf would search to the start of the text on a line without spaces.
      let cut = from + WRAP;
      while (cut > from && text.charCodeAt(cut) !== 0x20) cut--;
      if (cut === from) cut = from + WRAP;
      const piece = text.slice(from, cut).trim();
      if (piece) yield piece;
      from = cut;
    }
    at = lineEnd + 1;
  }
}

const isSpace = (code: number): boolean => code === 0x20 || code === 0x09 || code === 0x0d || code === 0x0b;

/** Sets one page of text on the virtual monospaced page. */
export function layoutTextPage(text: string, pageNumber: number): ReadPage {
  return layoutLines([...wrapLines(text, 0, text.length)], pageNumber);
}

function layoutLines(lines: string[], pageNumber: number): ReadPage {
  // A loop, not Math.max(...lines): spreading 150 000 arguments overflows the stack.
  let longest = 1;
  for (const line of lines) longest = Math.max(longest, line.length);
  return {
    page: pageNumber,
    width: longest * CHAR_WIDTH,
    height: Math.max(1, lines.length) * LINE_HEIGHT,
    source: 'text-layer',
    lines: lines.map((line, i) => {
      const x1 = line.length * CHAR_WIDTH;
      const y0 = i * LINE_HEIGHT;
      const y1 = y0 + LINE_HEIGHT;
      const box: Quad = [0, y0, x1, y0, x1, y1, 0, y1];
      return { text: line, box, confidence: 1 };
    }),
  };
}
