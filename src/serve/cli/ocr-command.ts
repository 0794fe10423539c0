import { basename } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Config } from '../../config/config.js';
import { configFromGlobals } from './command-config.js';
import { createLazyOcrEngine, readDocument } from '../../read/read-document.js';
import type { PageText, TextLine } from '../../read/types.js';
import { CJK_CHARACTER } from '../../text/cjk.js';
import { createProgressBar } from './progress.js';

/**
 * `docsight ocr <file...>`: reads images and PDFs and prints their text (text, JSON or Markdown).
 * Pages are printed as they are read, so long documents stream.
 */

export type OcrFormat = 'text' | 'json' | 'markdown';

interface OcrCommandOptions {
  format: OcrFormat;
  dpi?: number;
  threads?: number;
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of 1 or more.');
  return n;
}

const round = (n: number, places: number): number => Number(n.toFixed(places));

/** One page as the JSON output shows it (the documented shape; boxes to 0.1 px, confidence to 0.001). */
export function pageToJson(page: PageText): object {
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
function paragraphs(lines: TextLine[]): TextLine[][] {
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

/** Plain text of a page: lines on their own rows, a blank row between paragraphs. */
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
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, '\\$&').replace(/^(#|[-+]\s|\d+[.)]\s)/, '\\$1');
}

/** A page as Markdown: a heading, then one paragraph per block. */
export function pageToMarkdown(page: PageText, headingLevel = 2): string {
  const heading = `${'#'.repeat(headingLevel)} Page ${page.page}`;
  const body = paragraphs(page.lines).map((para) => escapeMarkdown(joinLines(para)));
  return [heading, ...(body.length > 0 ? body : ['*(no text found)*'])].join('\n\n');
}

/** Writes the pages of one or more files in one format, streaming page by page. */
interface OutputWriter {
  beginFile(file: string): void;
  page(page: PageText): void;
  endFile(): void;
  end(): void;
  /**
   * A file failed after `begun` (its first page was written, or not): JSON output is closed so that what
   * was written stays valid JSON, with the error in the file's object. Text and markdown need nothing.
   */
  fail(begun: boolean, error: unknown): void;
}

/** The `error` member of a file's JSON object when it failed part-way. */
function errorToJson(error: unknown): { code: string; message: string } {
  const code =
    error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'ERROR';
  return { code, message: error instanceof Error ? error.message : String(error) };
}

function createWriter(format: OcrFormat, manyFiles: boolean, write: (s: string) => void): OutputWriter {
  let pagesInFile = 0;
  let files = 0;
  if (format === 'json') {
    // One file: {"pages":[…]}. Several: {"files":[{"file":"a.png","pages":[…]},…]}.
    return {
      beginFile(file) {
        if (manyFiles) write(`${files === 0 ? '{"files":[' : ','}{"file":${JSON.stringify(file)},"pages":[`);
        else write('{"pages":[');
        files++;
        pagesInFile = 0;
      },
      page(page) {
        write(`${pagesInFile++ > 0 ? ',' : ''}${JSON.stringify(pageToJson(page))}`);
      },
      endFile() {
        write(manyFiles ? ']}' : ']}\n');
      },
      end() {
        if (manyFiles) write(']}\n');
      },
      fail(begun, error) {
        // `docsight ocr scan.tif --format json | jq` still parses: the pages read so far, then the error.
        if (begun) write(`],"error":${JSON.stringify(errorToJson(error))}}${manyFiles ? '' : '\n'}`);
        if (manyFiles && files > 0) write(']}\n');
      },
    };
  }
  if (format === 'markdown') {
    // `# file` per file, `## Page N` per page, one paragraph per block.
    return {
      beginFile(file) {
        write(`${files++ > 0 ? '\n' : ''}# ${escapeMarkdown(file)}\n\n`);
        pagesInFile = 0;
      },
      page(page) {
        write(`${pagesInFile++ > 0 ? '\n' : ''}${pageToMarkdown(page)}\n`);
      },
      endFile() {},
      end() {},
      fail() {},
    };
  }
  // Text: pages separated by a form feed (as pdftotext does), files headed like head(1) does.
  return {
    beginFile(file) {
      if (manyFiles) write(`${files++ > 0 ? '\n' : ''}==> ${file} <==\n`);
      pagesInFile = 0;
    },
    page(page) {
      const text = pageToText(page);
      write(`${pagesInFile++ > 0 ? '\f\n' : ''}${text}${text ? '\n' : ''}`);
    },
    endFile() {},
    end() {},
    fail() {},
  };
}

/**
 * Registers `docsight ocr` on the program.
 *
 * @example
 *   docsight ocr scan.pdf --format json > scan.json
 */
export function registerOcrCommand(program: Command): void {
  program
    .command('ocr')
    .description('read the text of images and PDFs (the PDF text layer where there is one, OCR otherwise)')
    .argument('<file...>', 'PNG, JPEG, WebP, TIFF, BMP, GIF or PDF files')
    .addOption(
      new Option('--format <format>', 'output: plain text, JSON with boxes, or Markdown')
        .choices(['text', 'json', 'markdown'])
        .default('text'),
    )
    .option(
      '--dpi <n>',
      'resolution scanned PDF pages are rendered at (default: intake.pdfDpi, 300)',
      wholeNumber,
    )
    .option('--threads <n>', 'OCR threads (default: ocr.threads, 1)', wholeNumber)
    .action(async (files: string[], options: OcrCommandOptions, command: Command) => {
      const config = configFromGlobals(command, {
        ...(options.dpi !== undefined ? { intake: { pdfDpi: options.dpi } } : {}),
        ...(options.threads !== undefined ? { ocr: { threads: options.threads } } : {}),
      });
      await runOcr(files, options.format, config);
    });
}

let epipeGuard = false;

/**
 * `docsight ocr big.pdf | head`: once the reader goes away, writes fail with EPIPE, reported as an
 * 'error' event a tick later. Without a listener that event kills the process with a stack trace,
 * so one listener (installed once per process) ignores EPIPE; runOcr sees the destroyed stream and stops.
 */
function ignoreBrokenPipe(): void {
  if (epipeGuard) return;
  epipeGuard = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

async function runOcr(files: string[], format: OcrFormat, config: Config): Promise<void> {
  ignoreBrokenPipe();
  const stop = new AbortController();
  const write = (s: string): void => {
    if (process.stdout.destroyed) stop.abort();
    if (!stop.signal.aborted) process.stdout.write(s);
  };
  const writer = createWriter(format, files.length > 1, write);
  // One engine for all files, loaded only if some page has no text layer. In process: this command serves
  // nothing while it reads, and a worker thread cost more here (a SROIE page, 3 runs each, shared 2-core
  // machine: 2.54 against 2.39 CPU s, 467 against 436 MB peak RSS).
  const ocr = createLazyOcrEngine(config.ocr, { thread: 'main' });
  try {
    for (const file of files) {
      const bar = createProgressBar(process.stderr, basename(file));
      let begun = false;
      try {
        const pages = readDocument(
          { path: file },
          {
            config,
            ocr,
            // Draw the empty bar at once: the first scanned page can take seconds.
            onOpen: (total) => bar.update(0, total),
            onPage: bar.update,
          },
        );
        for await (const page of pages) {
          // Begin the file's output only once it opened: a bad file then prints nothing to stdout.
          if (!begun) writer.beginFile(file);
          begun = true;
          writer.page(page);
          if (stop.signal.aborted) break;
        }
      } catch (error) {
        writer.fail(begun, error);
        throw error;
      } finally {
        bar.finish();
      }
      if (stop.signal.aborted) return;
      writer.endFile();
    }
    writer.end();
  } finally {
    await ocr.close();
  }
}
