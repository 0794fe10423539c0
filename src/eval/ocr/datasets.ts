import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { DocSightError } from '../../errors.js';
import type { Quad } from '../../read/types.js';
import { type BoxedText, pageText } from './reading-order.js';

/** The dataset layouts the evaluator reads (see /work/shared/eval/<kind>/MANIFEST.md). */
export type DatasetKind = 'sroie' | 'funsd';

/** One evaluation page: an image and what is written on it. */
export interface GtPage {
  id: string;
  imagePath: string;
  /** GT pieces with boxes: SROIE lines, FUNSD words. */
  items: BoxedText[];
  /** The GT page text in reading order (rows joined by newlines), as scored. */
  text: string;
}

const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp', '.bmp'];

function listImages(dir: string): Map<string, string> {
  const imagesDir = join(dir, 'images');
  const byId = new Map<string, string>();
  for (const name of readdirSync(imagesDir).sort()) {
    const ext = extname(name).toLowerCase();
    if (IMAGE_EXTENSIONS.includes(ext)) byId.set(basename(name, extname(name)), join(imagesDir, name));
  }
  return byId;
}

function requireSplitDir(dir: string): void {
  const ok = (p: string) => existsSync(p) && statSync(p).isDirectory();
  if (!ok(dir)) {
    throw new DocSightError(
      'NOT_FOUND',
      `Dataset folder ${dir} does not exist. Pass a split folder such as eval/sroie/dev.`,
    );
  }
  if (!ok(join(dir, 'images')) || !ok(join(dir, 'gt'))) {
    throw new DocSightError(
      'BAD_REQUEST',
      `${dir} is not a dataset split: it needs images/ and gt/ folders (laid out like eval/sroie/dev or eval/funsd/dev).`,
    );
  }
}

/**
 * Tells SROIE from FUNSD by the GT file names: `<id>.box.csv` is SROIE, `<id>.json` with a `form` array is FUNSD.
 *
 * @example
 *   detectDatasetKind('/work/shared/eval/funsd/dev'); // 'funsd'
 */
export function detectDatasetKind(dir: string): DatasetKind {
  requireSplitDir(dir);
  const names = readdirSync(join(dir, 'gt'));
  if (names.some((n) => n.endsWith('.box.csv'))) return 'sroie';
  const json = names.find((n) => n.endsWith('.json') && !n.endsWith('.key.json'));
  if (json) {
    const parsed = readJson(join(dir, 'gt', json)) as { form?: unknown };
    if (Array.isArray(parsed.form)) return 'funsd';
  }
  throw new DocSightError(
    'BAD_REQUEST',
    `Cannot tell the dataset kind of ${dir}: gt/ holds neither <id>.box.csv (SROIE) nor <id>.json with a "form" array (FUNSD). Pass --kind.`,
  );
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new DocSightError('CORRUPT_FILE', `${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Parses one SROIE `box.csv`: `x1,y1,...,x4,y4,transcript` per row. The transcript may contain commas, so
 * only the first eight commas split. Blank rows are skipped; a row with fewer than nine fields is an error.
 */
export function parseSroieBoxCsv(content: string, source = 'box.csv'): BoxedText[] {
  const items: BoxedText[] = [];
  const rows = content.replace(/^\uFEFF/u, '').split(/\r?\n/u);
  rows.forEach((row, index) => {
    if (row.trim() === '') return;
    const fields: string[] = [];
    let rest = row;
    for (let k = 0; k < 8; k++) {
      const comma = rest.indexOf(',');
      if (comma < 0) break;
      fields.push(rest.slice(0, comma));
      rest = rest.slice(comma + 1);
    }
    const numbers = fields.map(Number);
    if (fields.length < 8 || numbers.some((n) => !Number.isFinite(n))) {
      throw new DocSightError(
        'CORRUPT_FILE',
        `${source} line ${index + 1}: expected "x1,y1,x2,y2,x3,y3,x4,y4,text", found "${row.slice(0, 80)}".`,
      );
    }
    items.push({ text: rest, box: numbers as Quad });
  });
  return items;
}

interface FunsdWord {
  text?: unknown;
  box?: unknown;
}

/** Parses one FUNSD annotation: every non-empty `form[].words[]` becomes a boxed word. */
export function parseFunsdJson(content: unknown, source = 'funsd.json'): BoxedText[] {
  const form = (content as { form?: unknown }).form;
  if (!Array.isArray(form)) {
    throw new DocSightError('CORRUPT_FILE', `${source}: expected {"form": [...]} (FUNSD annotation).`);
  }
  const items: BoxedText[] = [];
  for (const entity of form as { words?: unknown }[]) {
    const words = Array.isArray(entity.words) ? (entity.words as FunsdWord[]) : [];
    for (const word of words) {
      if (typeof word.text !== 'string' || word.text.trim() === '') continue;
      const b = word.box;
      if (!Array.isArray(b) || b.length !== 4 || b.some((n) => typeof n !== 'number')) {
        throw new DocSightError('CORRUPT_FILE', `${source}: word "${word.text}" has no [x0,y0,x1,y1] box.`);
      }
      const [x0, y0, x1, y1] = b as number[] as [number, number, number, number];
      items.push({ text: word.text, box: [x0, y0, x1, y0, x1, y1, x0, y1] });
    }
  }
  return items;
}

/** Result of loading a split: the pages, plus images that had no GT file (reported, not scored). */
export interface LoadedDataset {
  kind: DatasetKind;
  pages: GtPage[];
  skipped: string[];
}

/**
 * Loads a split folder (`images/` + `gt/`) of either kind, pages sorted by id.
 *
 * @example
 *   const { pages } = loadDataset('/work/shared/eval/sroie/dev');
 *   pages[0]; // { id: '008', imagePath: '.../images/008.jpg', items: [...], text: 'PERNIAGAAN ZHENG HUI\n...' }
 */
export function loadDataset(dir: string, kind: DatasetKind = detectDatasetKind(dir)): LoadedDataset {
  requireSplitDir(dir);
  const pages: GtPage[] = [];
  const skipped: string[] = [];
  for (const [id, imagePath] of listImages(dir)) {
    const gtPath = join(dir, 'gt', kind === 'sroie' ? `${id}.box.csv` : `${id}.json`);
    if (!existsSync(gtPath)) {
      skipped.push(id);
      continue;
    }
    const items =
      kind === 'sroie'
        ? parseSroieBoxCsv(readFileSync(gtPath, 'utf8'), gtPath)
        : parseFunsdJson(readJson(gtPath), gtPath);
    pages.push({ id, imagePath, items, text: pageText(items) });
  }
  if (pages.length === 0) {
    throw new DocSightError(
      'BAD_REQUEST',
      `${dir} holds no ${kind.toUpperCase()} pages: expected images/<id>.(jpg|png) with gt/<id>.${kind === 'sroie' ? 'box.csv' : 'json'}.`,
    );
  }
  return { kind, pages, skipped };
}
