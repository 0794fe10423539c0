import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DocSightError } from '../../errors.js';
import { queryTerms } from '../../text/search-terms.js';

export type RetrievalKind = 'sroie' | 'funsd' | 'docvqa-text';

/** A query with the one corpus file it should find. */
export interface KnownItemQuery {
  query: string;
  /** File name (in `corpus`) of the relevant document. */
  target: string;
}

export interface RetrievalDataset {
  kind: RetrievalKind;
  /** Absolute paths of the corpus files (the split's pages). */
  corpus: string[];
  queries: KnownItemQuery[];
  /** Candidate queries left out, and why. */
  skipped: Record<string, number>;
}

/** Which kind a split folder is, from what it holds. */
export function detectRetrievalKind(dir: string): RetrievalKind {
  if (existsSync(join(dir, 'docs')) && existsSync(join(dir, 'gt', 'qa.jsonl'))) return 'docvqa-text';
  if (existsSync(join(dir, 'kv_pairs.jsonl'))) return 'funsd';
  if (existsSync(join(dir, 'gt')) && readdirSync(join(dir, 'gt')).some((f) => f.endsWith('.key.json')))
    return 'sroie';
  throw new DocSightError(
    'BAD_REQUEST',
    `${dir} is not a SROIE, FUNSD or DocVQA-text split (expected gt/*.key.json, kv_pairs.jsonl or docs/ + gt/qa.jsonl). Pass --kind.`,
  );
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

const normalise = (s: string): string => s.toLowerCase().replace(/\s+/g, ' ').trim();

/**
 * SROIE: "company date total" from each receipt's key fields → that receipt (the triple is unique
 * in the dev split, while the company alone is shared by several receipts).
 */
function sroie(dir: string): RetrievalDataset {
  const images = readdirSync(join(dir, 'images'))
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort();
  const queries: KnownItemQuery[] = [];
  for (const image of images) {
    const id = image.replace(/\.[^.]+$/, '');
    const keyFile = join(dir, 'gt', `${id}.key.json`);
    if (!existsSync(keyFile)) continue;
    const key = JSON.parse(readFileSync(keyFile, 'utf8')) as Record<string, string>;
    const query = [key.company, key.date, key.total].filter(Boolean).join(' ');
    if (query) queries.push({ query, target: image });
  }
  return { kind: 'sroie', corpus: images.map((f) => join(dir, 'images', f)), queries, skipped: {} };
}

/** FUNSD: "key value" for key/value pairs whose value occurs in only one form → that form. */
function funsd(dir: string): RetrievalDataset {
  const rows = readJsonl<{ doc_id: string; image: string; key: string; value: string }>(
    join(dir, 'kv_pairs.jsonl'),
  );
  const formsByValue = new Map<string, Set<string>>();
  for (const r of rows) {
    const v = normalise(r.value);
    if (!formsByValue.has(v)) formsByValue.set(v, new Set());
    formsByValue.get(v)!.add(r.doc_id);
  }
  const queries: KnownItemQuery[] = [];
  const skipped: Record<string, number> = { 'value in several forms': 0 };
  const seen = new Set<string>();
  for (const r of rows) {
    if (formsByValue.get(normalise(r.value))!.size !== 1) {
      skipped['value in several forms']!++;
      continue;
    }
    const query = `${r.key} ${r.value}`;
    if (seen.has(query)) continue;
    seen.add(query);
    queries.push({ query, target: r.image.replace(/^images\//, '') });
  }
  const images = readdirSync(join(dir, 'images'))
    .filter((f) => /\.(png|jpe?g)$/i.test(f))
    .sort();
  return { kind: 'funsd', corpus: images.map((f) => join(dir, 'images', f)), queries, skipped };
}

/** Words that name a part of any document; a question made only of these does not identify a page. */
const GENERIC_WORDS = new Set(
  queryTerms(
    'title heading header page document name names number date chart table figure graph text written mentioned given ' +
      'shown top bottom left right side corner first second last letter memo form report value amount total year code ' +
      'which many much whose does do',
  ),
);

/**
 * DocVQA-text: the question → its page, keeping only questions that can identify a page: the
 * answer occurs in exactly one page of the split (the manifest's rule), the same wording is not
 * asked of another page, and at least two of its words are not generic ("what is the title?" goes).
 */
function docvqaText(dir: string): RetrievalDataset {
  const files = readdirSync(join(dir, 'docs'))
    .filter((f) => f.endsWith('.txt'))
    .sort();
  const texts = new Map(
    files.map((f) => [f.replace(/\.txt$/, ''), normalise(readFileSync(join(dir, 'docs', f), 'utf8'))]),
  );
  const rows = readJsonl<{ doc_id: string; question: string; answers: string[] }>(
    join(dir, 'gt', 'qa.jsonl'),
  );
  const pagesByWording = new Map<string, Set<string>>();
  for (const r of rows) {
    const w = normalise(r.question);
    if (!pagesByWording.has(w)) pagesByWording.set(w, new Set());
    pagesByWording.get(w)!.add(r.doc_id);
  }
  const skipped: Record<string, number> = {
    'answer not on exactly one page': 0,
    'same wording on several pages': 0,
    'generic question': 0,
  };
  const queries: KnownItemQuery[] = [];
  for (const r of rows) {
    const onOnePage = r.answers.some((a) => {
      const needle = normalise(a);
      if (needle.length < 2) return false;
      let pages = 0;
      for (const t of texts.values()) if (t.includes(needle)) pages++;
      return pages === 1 && texts.get(r.doc_id)?.includes(needle);
    });
    if (!onOnePage) {
      skipped['answer not on exactly one page']!++;
    } else if (pagesByWording.get(normalise(r.question))!.size > 1) {
      skipped['same wording on several pages']!++;
    } else if (queryTerms(r.question).filter((t) => !GENERIC_WORDS.has(t)).length < 2) {
      skipped['generic question']!++;
    } else {
      queries.push({ query: r.question, target: `${r.doc_id}.txt` });
    }
  }
  return { kind: 'docvqa-text', corpus: files.map((f) => join(dir, 'docs', f)), queries, skipped };
}

/**
 * Loads a split laid out like `eval/<dataset>/dev/` as a corpus and known-item queries.
 *
 * @example
 *   const { corpus, queries } = loadRetrievalDataset('/work/shared/eval/sroie/dev');
 */
export function loadRetrievalDataset(dir: string, kind?: RetrievalKind): RetrievalDataset {
  if (!existsSync(dir)) throw new DocSightError('NOT_FOUND', `${dir}: no such dataset folder.`);
  const k = kind ?? detectRetrievalKind(dir);
  if (k === 'sroie') return sroie(dir);
  if (k === 'funsd') return funsd(dir);
  return docvqaText(dir);
}
