import { readFile } from 'node:fs/promises';
import type { Quad } from '../read/types.js';
import type { PageReader, ReadPage } from './page-reader.js';

/** Layout of the virtual page plain text is set on, so lines get boxes like any other page. */
const CHAR_WIDTH = 10;
const LINE_HEIGHT = 20;
const WRAP = 100;

/**
 * Reads UTF-8 plain text as text-layer pages: a form feed (\f) starts a new page, long lines are
 * wrapped at word boundaries near 100 characters, and each line gets the box it would have on a
 * monospaced page (10 × 20 px per character), so search results can point at lines.
 *
 * @example
 *   for await (const page of readPlainTextPages({ path, name: 'notes.txt', mime: 'text/plain' }, { signal })) …
 */
export const readPlainTextPages: PageReader = async function* (source, options) {
  const text = (await readFile(source.path, { signal: options.signal })).toString('utf8');
  const pages = text.split('\f');
  for (let i = 0; i < pages.length; i++) {
    options.signal.throwIfAborted();
    options.onPage?.(i, pages.length);
    yield layoutTextPage(pages[i]!, i + 1);
  }
};

/** Sets one page of text on the virtual monospaced page. */
export function layoutTextPage(text: string, pageNumber: number): ReadPage {
  const lines: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let rest = raw.trim();
    while (rest.length > WRAP) {
      let cut = rest.lastIndexOf(' ', WRAP);
      if (cut <= 0) cut = WRAP;
      lines.push(rest.slice(0, cut).trim());
      rest = rest.slice(cut).trim();
    }
    if (rest) lines.push(rest);
  }
  const width = Math.max(1, ...lines.map((l) => l.length)) * CHAR_WIDTH;
  return {
    page: pageNumber,
    width,
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
