import sharp from 'sharp';
import { CJK_CHARACTER_CLASS, isWideCharacter } from '../../text/cjk.js';
import type { BoxedText } from '../ocr/reading-order.js';

/** What to draw: paragraphs wrapped to the page, one font and size, black on white. */
export interface TextPageSpec {
  width: number;
  height: number;
  margin: number;
  fontFamily: string;
  /** Pixels per em. */
  fontSize: number;
  /** Baseline-to-baseline distance as a multiple of fontSize. */
  lineSpacing?: number;
  paragraphs: readonly string[];
}

/** A rendered page: 8-bit grey PNG bytes and the lines drawn on it, with their (estimated) boxes. */
export interface RenderedPage {
  image: Buffer;
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  lines: BoxedText[];
}

/**
 * Width of `text` in ems, erring wide: 1 em for CJK, 0.6 em for other characters (Latin glyphs of the Noto and
 * WenQuanYi fonts average about 0.55), 0.3 em for a space. Erring wide keeps wrapped lines inside the margins.
 */
export function estimateWidthEm(text: string): number {
  let em = 0;
  for (const ch of text) em += ch === ' ' ? 0.3 : isWideCharacter(ch) ? 1 : 0.6;
  return em;
}

/** Wrapping units: one CJK character (a line may break after any), a run of other non-space characters, or a run of spaces. */
const WRAP_UNIT = new RegExp(`\\s+|[${CJK_CHARACTER_CLASS}]|[^\\s${CJK_CHARACTER_CLASS}]+`, 'gu');

/**
 * Breaks a paragraph into lines no wider than `maxEm`: between any two CJK characters, and at spaces between
 * Latin words (a Latin word wider than a line is cut). Lines carry no leading or trailing spaces.
 *
 * @example
 *   wrapParagraph('合同总金额 USD 45,000', 6); // ['合同总金额', 'USD', '45,000']
 */
export function wrapParagraph(paragraph: string, maxEm: number): string[] {
  const units = paragraph.match(WRAP_UNIT) ?? [];
  const lines: string[] = [];
  let line = '';
  const flush = () => {
    const trimmed = line.trim();
    if (trimmed) lines.push(trimmed);
    line = '';
  };
  for (let unit of units) {
    if (/^\s+$/u.test(unit)) {
      if (line) line += ' ';
      continue;
    }
    if (estimateWidthEm(line + unit) <= maxEm) {
      line += unit;
      continue;
    }
    flush();
    // A unit wider than a whole line (a long number or URL) is cut into pieces that fit.
    while (estimateWidthEm(unit) > maxEm) {
      let cut = 1;
      while (cut < unit.length && estimateWidthEm(unit.slice(0, cut + 1)) <= maxEm) cut++;
      lines.push(unit.slice(0, cut));
      unit = unit.slice(cut);
    }
    line = unit;
  }
  flush();
  return lines;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Lays the paragraphs out top to bottom and draws them with librsvg (through sharp), which shapes text with
 * Pango and the system's fonts. Lines that do not fit on the page are left out, so the GT is exactly what
 * was drawn. Boxes are estimates from the font size (left edge, baseline − 0.88 em to baseline + 0.12 em,
 * estimated width); the text is exact.
 */
export async function renderTextPage(spec: TextPageSpec): Promise<RenderedPage> {
  const lineStep = spec.fontSize * (spec.lineSpacing ?? 1.6);
  const maxEm = (spec.width - 2 * spec.margin) / spec.fontSize;
  const lines: BoxedText[] = [];
  const texts: string[] = [];
  let baseline = spec.margin + spec.fontSize;
  outer: for (const paragraph of spec.paragraphs) {
    for (const text of wrapParagraph(paragraph, maxEm)) {
      if (baseline + 0.12 * spec.fontSize > spec.height - spec.margin) break outer;
      const x0 = spec.margin;
      const x1 = spec.margin + estimateWidthEm(text) * spec.fontSize;
      const y0 = baseline - 0.88 * spec.fontSize;
      const y1 = baseline + 0.12 * spec.fontSize;
      lines.push({ text, box: [x0, y0, x1, y0, x1, y1, x0, y1] });
      texts.push(
        `<text x="${spec.margin}" y="${baseline.toFixed(1)}" xml:space="preserve">${escapeXml(text)}</text>`,
      );
      baseline += lineStep;
    }
  }
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${spec.width}" height="${spec.height}">` +
    `<rect width="100%" height="100%" fill="#fff"/>` +
    `<g font-family="${escapeXml(spec.fontFamily)}" font-size="${spec.fontSize}" fill="#000">${texts.join('')}</g></svg>`;
  const image = await sharp(Buffer.from(svg)).greyscale().png().toBuffer();
  return { image, format: 'png', width: spec.width, height: spec.height, lines };
}
