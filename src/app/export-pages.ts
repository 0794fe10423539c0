import type { PageText, TextLine } from '../read/types.js';
import { CJK_CHARACTER } from '../text/cjk.js';

/**
 * Read pages as the formats DocSight hands out — plain text, the documented JSON and Markdown — for
 * `docsight ocr`, the HTTP API's exports and the WebUI's downloads alike. Pure functions of a page.
 */

export type ExportFormat = 'text' | 'json' | 'markdown';

const round = (n: number, places: number): number => Number(n.toFixed(places));

/** One page in the documented JSON shape: boxes to 0.1 px, confidence to 0.001. */
export interface PageJson {
  page: number;
  width: number;
  height: number;
  source: PageText['source'];
  lines: { text: string; box: number[]; confidence: number }[];
}

/**
 * @example
 *   JSON.stringify({ pages: pages.map(pageToJson) });
 */
export function pageToJson(page: PageText): PageJson {
  return {
    page: page.page,
    width: page.width,
    height: page.height,
    source: page.source,
    lines: page.lines.map((line) => ({
      text: line.text,
      box: line.box.map((v) => round(v, 1)),
      confidence: round(line.confidence, 3),
    })),
  };
}

/** Lines grouped by block (paragraph), in order. */
function paragraphs(lines: readonly TextLine[]): TextLine[][] {
  const out: TextLine[][] = [];
  let current: TextLine[] = [];
  lines.forEach((line, i) => {
    if (i > 0 && line.block !== lines[i - 1]!.block) {
      out.push(current);
      current = [];
    }
    current.push(line);
  });
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Plain text of a page: lines on their own rows, a blank row between paragraphs.
 *
 * @example
 *   pageToText(page); // 'Dear Sir,\nthank you for your letter.\n\nYours, A. Smith'
 */
export function pageToText(page: PageText): string {
  return paragraphs(page.lines)
    .map((para) => para.map((line) => line.text).join('\n'))
    .join('\n\n');
}

/** Joins the lines of a paragraph; Chinese and Japanese lines join without the space English needs. */
function joinLines(lines: TextLine[]): string {
  return lines.reduce((text, line) => {
    if (text === '') return line.text;
    const glue = CJK_CHARACTER.test(text.at(-1)!) && CJK_CHARACTER.test(line.text[0]!) ? '' : ' ';
    return text + glue + line.text;
  }, '');
}

/** Stops OCR text that starts like Markdown syntax (`# `, `- `, `1. `, `> `) from turning into it. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, '\\$&').replace(/^(#|[-+]\s|\d+[.)]\s)/, '\\$1');
}

/**
 * A page as Markdown: a heading, then one paragraph per block.
 *
 * @example
 *   pageToMarkdown(page); // '## Page 3\n\n甲方：北京某某科技有限公司\n\n\\- 12 items'
 */
export function pageToMarkdown(page: PageText, headingLevel = 2): string {
  const heading = `${'#'.repeat(headingLevel)} Page ${page.page}`;
  const body = paragraphs(page.lines).map((para) => escapeMarkdown(joinLines(para)));
  return [heading, ...(body.length > 0 ? body : ['*(no text found)*'])].join('\n\n');
}

/**
 * A whole document in one format, as `docsight ocr` prints a single file: text pages split by a form feed
 * (as pdftotext does), `{"pages":[…]}`, or Markdown headed by the document's name.
 *
 * @example
 *   exportDocument('scan.pdf', pages, 'markdown'); // '# scan.pdf\n\n## Page 1\n\n…\n'
 */
export function exportDocument(name: string, pages: readonly PageText[], format: ExportFormat): string {
  if (format === 'json') return `${JSON.stringify({ pages: pages.map(pageToJson) })}\n`;
  if (format === 'markdown') {
    return `# ${escapeMarkdown(name)}\n\n${pages.map((p) => `${pageToMarkdown(p)}\n`).join('\n')}`;
  }
  return pages
    .map((p) => pageToText(p))
    .map((text, i) => `${i > 0 ? '\f\n' : ''}${text}${text ? '\n' : ''}`)
    .join('');
}
