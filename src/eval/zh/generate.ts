import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DocSightError } from '../../errors.js';
import { type Degradation, DEGRADATIONS, degradePage } from './degrade.js';
import { type Passage, ZH_PASSAGES } from './passages.js';
import { renderTextPage } from './render-page.js';
import { seededRandom } from './seeded-random.js';
import type { BoxedText } from '../ocr/reading-order.js';

/** Chinese fonts the set is drawn with, in order of preference (Debian fonts-noto-cjk, fonts-wqy-zenhei). */
export const PREFERRED_ZH_FONTS = ['Noto Sans CJK SC', 'Noto Serif CJK SC', 'WenQuanYi Zen Hei'] as const;

/**
 * Used only where none of PREFERRED_ZH_FONTS is installed: Noto Sans SC (Google Fonts' subset of Noto Sans CJK
 * SC), the font the test suite draws Chinese in (npm @expo-google-fonts/noto-sans-sc). The evaluation's
 * documented figures are made with PREFERRED_ZH_FONTS; the report names the fonts a run used.
 */
export const FALLBACK_ZH_FONTS = ['Noto Sans SC'] as const;

/** Font sizes in pixels on a 150-dpi A4 page: about 9.6, 13.4 and 19.2 pt. */
export const ZH_FONT_SIZES = [20, 28, 40] as const;

/** A4 at 150 dpi. */
const PAGE = { width: 1240, height: 1754, margin: 90 };

/** One generated page with its GT. */
export interface ZhPage {
  id: string;
  passage: string;
  degradation: Degradation;
  fontFamily: string;
  fontSize: number;
  params: Record<string, number>;
  image: Buffer;
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  lines: BoxedText[];
  /** GT page text: the drawn lines, top to bottom, joined by newlines. */
  text: string;
}

export interface ZhSetOptions {
  /** Seed for every random choice; the same seed and fonts give byte-identical pages. */
  seed?: number;
  /** Font families to use (default: those of PREFERRED_ZH_FONTS installed here). */
  fonts?: readonly string[];
  degradations?: readonly Degradation[];
  passages?: readonly Passage[];
  /** Stop after this many pages (a quick check); the pages kept are the same as in the full set. */
  limit?: number;
}

/**
 * The preferred Chinese fonts that fontconfig knows on this machine, else the fallback ones.
 * Throws NOT_FOUND, naming the Debian packages to install, when there is none.
 */
export function availableZhFonts(): string[] {
  let listed = '';
  try {
    listed = execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
  } catch {
    listed = '';
  }
  const families = new Set(listed.split('\n').flatMap((line) => line.split(',').map((f) => f.trim())));
  const preferred = PREFERRED_ZH_FONTS.filter((f) => families.has(f));
  const found = preferred.length > 0 ? preferred : FALLBACK_ZH_FONTS.filter((f) => families.has(f));
  if (found.length === 0) {
    throw new DocSightError(
      'NOT_FOUND',
      'No Chinese font found to draw the test pages. Install one: apt-get install fonts-noto-cjk fonts-wqy-zenhei',
    );
  }
  return found;
}

/**
 * Generates the Chinese test set: every passage under every degradation, font size and family rotating so that
 * each degradation sees every passage and each size. 4 passages × 6 degradations = 24 pages by default.
 *
 * @example
 *   for await (const page of generateZhPages({ seed: 1 })) console.log(page.id, page.text.length);
 */
export async function* generateZhPages(options: ZhSetOptions = {}): AsyncGenerator<ZhPage> {
  const seed = options.seed ?? 20240315;
  const fonts = options.fonts ?? availableZhFonts();
  const degradations = options.degradations ?? DEGRADATIONS;
  const passages = options.passages ?? ZH_PASSAGES;
  let index = 0;
  for (const [d, degradation] of degradations.entries()) {
    for (const [p, passage] of passages.entries()) {
      if (options.limit !== undefined && index >= options.limit) return;
      const fontSize = ZH_FONT_SIZES[(p + d) % ZH_FONT_SIZES.length]!;
      const fontFamily = fonts[(p + d) % fonts.length]!;
      // One stream per page, so dropping a degradation does not change the other pages.
      const rng = seededRandom((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
      const rendered = await renderTextPage({
        ...PAGE,
        fontFamily,
        fontSize,
        paragraphs: passage.paragraphs,
      });
      const page = await degradePage(rendered, degradation, rng);
      const id = `${String(index).padStart(2, '0')}-${passage.name}-${degradation}-${fontSize}px`;
      yield {
        id,
        passage: passage.name,
        degradation,
        fontFamily,
        fontSize,
        params: page.params,
        image: page.image,
        format: page.format,
        width: page.width,
        height: page.height,
        lines: page.lines,
        text: page.lines.map((l) => l.text).join('\n'),
      };
      index++;
    }
  }
}

/** Where a written page lies on disk. */
export interface WrittenZhPage extends Omit<ZhPage, 'image'> {
  imagePath: string;
}

/**
 * Writes the set as `images/<id>.png|jpg` and `gt/<id>.json` (text, lines with boxes, font, degradation and
 * its parameters) under `dir`, and returns the pages without their pixels.
 */
export async function writeZhSet(dir: string, options: ZhSetOptions = {}): Promise<WrittenZhPage[]> {
  mkdirSync(join(dir, 'images'), { recursive: true });
  mkdirSync(join(dir, 'gt'), { recursive: true });
  const written: WrittenZhPage[] = [];
  for await (const page of generateZhPages(options)) {
    const { image, ...meta } = page;
    const imagePath = join(dir, 'images', `${page.id}.${page.format === 'jpeg' ? 'jpg' : 'png'}`);
    writeFileSync(imagePath, image);
    writeFileSync(join(dir, 'gt', `${page.id}.json`), JSON.stringify(meta, null, 2) + '\n');
    written.push({ ...meta, imagePath });
  }
  return written;
}
