import { DocSightError, isDocSightError } from '../errors.js';
import { lineMatches } from '../find/highlight-snippet.js';
import { DEFAULT_MODEL } from '../models/catalog.js';
import type { Quad } from '../read/types.js';
import type { StoredLine } from '../store/library-store.js';
import { queryTerms } from '../text/search-terms.js';
import { zoomForQuestion } from '../understand/ask/question-zoom.js';
import {
  buildLibraryQuestionRequest,
  type PromptImage,
  type PromptPassage,
} from '../understand/tasks/library-question-prompt.js';
import { citedPassages } from '../understand/tasks/passage-citations.js';
import type { ChatUsage, FinishReason } from '../understand/vision-language-engine.js';
import { canSee, type Access } from './access.js';
import { DEFAULT_MAX_TOKENS } from './ask.js';
import type { DocSight } from './docsight.js';
import { answerWithEngine, type AnswerStats } from './engine-answer.js';
import { fitToBudget, loadPageSource } from './page-images.js';
import { search, type SearchFilters, type SearchResponse } from './search.js';

export interface AskLibraryInput {
  query: string;
  /** Only this collection's documents (within what `access` may see). */
  collection?: string;
  /** Only this document; NOT_FOUND unless `access` may see it. */
  documentId?: number;
  /** Pages to read, best first: 1 to MAX_ASK_PAGES, default DEFAULT_ASK_PAGES. */
  k?: number;
  maxTokens?: number;
  /** Stops the answer (a client that went away): the engine stops generating. */
  signal?: AbortSignal;
  access: Access;
}

/** One line of a passage, with the page it is on (a passage may run across a page break). */
export interface PassageLine {
  page: number;
  text: string;
  box: Quad;
  /** The line holds a query term. */
  matches: boolean;
}

/** A run of consecutive lines around the query's matches: what the model is given as `[number]`. */
export interface LibraryPassage {
  number: number;
  documentId: number;
  documentName: string;
  /** The page(s) the lines are on: one, or two when the run continues over a page break. */
  pages: number[];
  /** The search score of its best page: higher is better. */
  score: number;
  lines: PassageLine[];
  text: string;
}

/** A place in the library an answer rests on: the lines of one cited passage on one page. */
export interface Citation {
  documentId: number;
  documentName: string;
  page: number;
  /** Boxes (page pixels) of the passage's lines on this page. */
  boxes: Quad[];
  /** The passage's text on this page, trimmed. */
  quote: string;
  /** The passage number the answer cited. */
  passage: number;
}

export interface AskLibraryStats extends Partial<AnswerStats> {
  /** How the pages were found: BM25 alone, or hybrid (BM25 + dense). */
  retrieval: SearchResponse['mode'];
  pages: number;
  passages: number;
  /** Numbers the answer cited that name no passage: dropped (see passage-citations.ts). */
  invalidCitations?: number[];
}

/** A streamed answer about the library: the passages first, then text pieces, then `done`. */
export type AskLibraryEvent =
  | { type: 'passages'; passages: LibraryPassage[]; note?: string }
  | { type: 'text'; text: string }
  | {
      type: 'done';
      /** The answer with its `[n]` markers; null when there is none (no model, nothing found). */
      answer: string | null;
      /** Why there is no answer, and how to get one. */
      reason?: string;
      citations: Citation[];
      finishReason?: FinishReason;
      usage?: ChatUsage;
      stats: AskLibraryStats;
    };

export const DEFAULT_ASK_PAGES = 3;
export const MAX_ASK_PAGES = 10;
/** Token budget of each page image: the pages are an overview; the passages and crops carry the detail. */
export const ASK_PAGE_BUDGET = 128;
/** Lines kept before and after each matching line. */
const CONTEXT_LINES = 2;
const MAX_PASSAGES_PER_PAGE = 3;
const MAX_PASSAGE_CHARS = 800;

/**
 * A question about the library, answered from what search finds: the best pages (k), each given to the
 * vision-language model as its stored image at a small budget plus a legible crop around the matching lines
 * (from the stored lines: no OCR), with the pages' text as numbered passages. The model is asked to cite
 * passage numbers; cited numbers become citations (document, page, line boxes, quote). An answer that cites
 * nothing has no citations, and a number naming no passage is dropped and reported — never guessed.
 *
 * Without a ready model (MODEL_MISSING, MODEL_INVALID) the passages still come, with `answer: null` and a
 * `reason` that says how to get the model: search results, never a made-up answer. Nothing found: no model
 * call, `answer: null`.
 *
 * @example
 *   for await (const event of askLibrary(app, { query: 'What is the total?', access: FULL_ACCESS })) {
 *     if (event.type === 'passages') show(event.passages);
 *     else if (event.type === 'text') process.stdout.write(event.text);
 *     else console.log(event.citations);
 *   }
 */
export async function* askLibrary(app: DocSight, input: AskLibraryInput): AsyncGenerator<AskLibraryEvent> {
  const query = input.query.trim();
  if (!query) throw new DocSightError('BAD_REQUEST', 'Ask a question.', { param: 'query' });
  const k = input.k ?? DEFAULT_ASK_PAGES;
  if (!Number.isInteger(k) || k < 1 || k > MAX_ASK_PAGES) {
    throw new DocSightError('BAD_REQUEST', `k must be a whole number from 1 to ${MAX_ASK_PAGES}, not ${k}.`, {
      param: 'k',
    });
  }
  const found = await searchVisible(app, query, k, input);
  const passages = await passagesOf(app, query, found.results);
  yield { type: 'passages', passages, ...(found.note ? { note: found.note } : {}) };
  const baseStats: AskLibraryStats = {
    retrieval: found.mode,
    pages: new Set(passages.flatMap((p) => p.pages.map((page) => `${p.documentId}:${page}`))).size,
    passages: passages.length,
  };
  if (passages.length === 0) {
    yield {
      type: 'done',
      answer: null,
      reason: 'Nothing in the library matches the question, so there is nothing to answer from.',
      citations: [],
      stats: baseStats,
    };
    return;
  }

  let text = '';
  let started = false;
  try {
    app.engine(); // a missing model is known before any page image is prepared
    const request = {
      ...buildLibraryQuestionRequest({
        question: query,
        passages: passages.map(promptPassage),
        images: await pageImages(app, query, passages, input.signal),
      }),
      maxTokens: input.maxTokens ?? DEFAULT_MAX_TOKENS,
      signal: input.signal,
    };
    for await (const event of answerWithEngine(app, request, { budget: ASK_PAGE_BUDGET })) {
      if (event.type === 'text') {
        started = true;
        text += event.text;
        yield event;
        continue;
      }
      const { cited, invalid } =
        event.finishReason === 'cancelled'
          ? { cited: [], invalid: [] }
          : citedPassages(text, passages.length);
      yield {
        type: 'done',
        answer: text,
        citations: cited.flatMap((n) => citationsOf(passages[n - 1]!)),
        finishReason: event.finishReason,
        usage: event.usage,
        stats: { ...event.stats, ...baseStats, ...(invalid.length ? { invalidCitations: invalid } : {}) },
      };
    }
  } catch (err) {
    if (started || !modelUnavailable(err)) throw err;
    yield { type: 'done', answer: null, reason: noModelReason(err), citations: [], stats: baseStats };
  }
}

const modelUnavailable = (err: unknown): err is DocSightError =>
  isDocSightError(err, 'MODEL_MISSING') || isDocSightError(err, 'MODEL_INVALID');

function noModelReason(err: DocSightError): string {
  const fix = /docsight models pull/.test(err.message)
    ? ''
    : ` Run \`docsight models pull ${DEFAULT_MODEL}\`, or point understand.modelPath and understand.mmprojPath at valid GGUF files.`;
  return `No vision-language model is ready, so these are the matching passages without an answer. ${err.message}${fix}`;
}

/**
 * Search, within what the caller may see. A single-collection scope (or a collection asked for inside the
 * scope) is a store filter; a key with several collections searches each and keeps the best `k` by score.
 */
async function searchVisible(
  app: DocSight,
  query: string,
  k: number,
  input: AskLibraryInput,
): Promise<SearchResponse> {
  const filters: SearchFilters = {};
  if (input.documentId !== undefined) {
    const document = await app.library().store.getDocument(input.documentId);
    if (!document || !canSee(input.access, document.collection)) {
      throw new DocSightError('NOT_FOUND', `There is no document ${input.documentId}.`, {
        param: 'document',
      });
    }
    filters.documentId = input.documentId;
  }
  const { access } = input;
  let collections: (string | undefined)[];
  if (access.kind === 'all') collections = [input.collection];
  else if (input.collection !== undefined)
    collections = access.collections.includes(input.collection) ? [input.collection] : [];
  else collections = [...access.collections];
  const responses = await Promise.all(
    collections.map((collection) =>
      search(app, { query, k, filters: collection === undefined ? filters : { ...filters, collection } }),
    ),
  );
  if (responses.length === 0) return { mode: 'bm25', results: [] };
  const results = responses
    .flatMap((r) => r.results)
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
  return { mode: responses[0]!.mode, note: responses[0]!.note, results };
}

interface LineRun {
  documentId: number;
  documentName: string;
  page: number;
  score: number;
  first: number;
  last: number;
  lines: StoredLine[];
  matching: Set<number>;
}

/** Runs of lines around each page's matching lines, in page rank order; a run that continues onto the next retrieved page is one passage. */
async function passagesOf(
  app: DocSight,
  query: string,
  results: SearchResponse['results'],
): Promise<LibraryPassage[]> {
  const terms = new Set(queryTerms(query));
  const runs: LineRun[] = [];
  for (const result of results) {
    const page = await app.library().store.getPage(result.documentId, result.page);
    if (!page || page.lines.length === 0) continue;
    const matching = new Set(page.lines.flatMap((line, i) => (lineMatches(line.text, terms) ? [i] : [])));
    // A dense-only hit has no matching word: its page opening stands for it.
    const seeds = matching.size > 0 ? [...matching] : [0];
    const pageRuns: { first: number; last: number }[] = [];
    for (const i of seeds) {
      const first = Math.max(0, i - CONTEXT_LINES);
      const last = Math.min(page.lines.length - 1, i + CONTEXT_LINES);
      const previous = pageRuns.at(-1);
      if (previous && first <= previous.last + 1) previous.last = Math.max(previous.last, last);
      else pageRuns.push({ first, last });
    }
    for (const run of pageRuns.slice(0, MAX_PASSAGES_PER_PAGE)) {
      runs.push({ ...result, ...run, lines: page.lines, matching });
    }
  }
  // A run that ends on a page's last line and one that opens the next page of the same document are one
  // passage, whichever of the two pages ranked higher; it takes the place of the better one.
  const next = new Map<LineRun, LineRun>();
  const previous = new Map<LineRun, LineRun>();
  for (const run of runs) {
    if (run.last !== run.lines.length - 1) continue;
    const following = runs.find(
      (r) => !previous.has(r) && r.documentId === run.documentId && r.page === run.page + 1 && r.first === 0,
    );
    if (following) {
      next.set(run, following);
      previous.set(following, run);
    }
  }
  const merged: LineRun[][] = [];
  const placed = new Set<LineRun>();
  for (const run of runs) {
    let head = run;
    while (previous.has(head)) head = previous.get(head)!;
    if (placed.has(head)) continue;
    placed.add(head);
    const group = [head];
    for (let n = next.get(head); n; n = next.get(n)) group.push(n);
    merged.push(group);
  }
  return merged.map((group, i) => {
    const lines = group.flatMap((run) =>
      run.lines.slice(run.first, run.last + 1).map((line, j) => ({
        page: run.page,
        text: line.text,
        box: line.box,
        matches: run.matching.has(run.first + j),
      })),
    );
    let text = lines.map((l) => l.text).join('\n');
    if (text.length > MAX_PASSAGE_CHARS) text = `${text.slice(0, MAX_PASSAGE_CHARS - 1)}…`;
    return {
      number: i + 1,
      documentId: group[0]!.documentId,
      documentName: group[0]!.documentName,
      pages: group.map((run) => run.page),
      score: Math.max(...group.map((run) => run.score)),
      lines,
      text,
    };
  });
}

const sourceOf = (name: string, pages: number[]): string =>
  pages.length === 1 ? `${name}, page ${pages[0]}` : `${name}, pages ${pages[0]}–${pages.at(-1)}`;

const promptPassage = (p: LibraryPassage): PromptPassage => ({
  number: p.number,
  source: sourceOf(p.documentName, p.pages),
  text: p.text,
});

/** A cited passage as citations: one per page it is on, with the boxes and text of its lines there. */
function citationsOf(passage: LibraryPassage): Citation[] {
  return passage.pages.map((page) => {
    const lines = passage.lines.filter((l) => l.page === page);
    return {
      documentId: passage.documentId,
      documentName: passage.documentName,
      page,
      boxes: lines.map((l) => l.box),
      quote: lines
        .map((l) => l.text)
        .join('\n')
        .trim(),
      passage: passage.number,
    };
  });
}

/**
 * Each retrieved page's stored image at ASK_PAGE_BUDGET, followed by a crop around its matching lines where
 * that print would be too small to read. A page without a stored image (a text file) is given as text only.
 */
async function pageImages(
  app: DocSight,
  query: string,
  passages: LibraryPassage[],
  signal: AbortSignal | undefined,
): Promise<PromptImage[]> {
  const pages = new Map<string, { documentId: number; page: number; name: string }>();
  for (const p of passages) {
    for (const page of p.pages) {
      pages.set(`${p.documentId}:${page}`, { documentId: p.documentId, page, name: p.documentName });
    }
  }
  const images: PromptImage[] = [];
  for (const { documentId, page, name } of pages.values()) {
    let source;
    try {
      source = await loadPageSource(app, { documentId, page }, { forZoom: true });
    } catch (err) {
      if (isDocSightError(err) && err.code !== 'INTERNAL') continue;
      throw err;
    }
    const label = `${name}, page ${page}`;
    images.push({
      image: await fitToBudget(app, source.bytes, ASK_PAGE_BUDGET),
      source: label,
      zoomed: false,
    });
    const zoom = await zoomForQuestion({
      image: source.zoomImage ?? source.bytes,
      question: query,
      pageBudget: ASK_PAGE_BUDGET,
      cropBudget: ASK_PAGE_BUDGET,
      maxCrops: 1,
      lines: source.lines,
      maxPixels: app.config.intake.maxPixels,
      signal,
    });
    for (const crop of zoom.images) {
      images.push({ image: { png: crop.png, sha256: crop.sha256 }, source: label, zoomed: true });
    }
  }
  return images;
}
