import {
  escapeMarkdown,
  pageToJson,
  pageToMarkdown,
  pageToText,
  type ExportFormat,
} from '../../app/export-pages.js';
import type { PageText } from '../../read/types.js';

/**
 * How `docsight ocr` streams the pages of one or more files to stdout in one format, page by page as they
 * are read. The page formats themselves are the application's (app/export-pages.ts); this file only lays
 * several files out in one output.
 */
export interface OcrOutputWriter {
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

/**
 * @example
 *   const writer = createOcrOutputWriter('json', files.length > 1, (s) => process.stdout.write(s));
 */
export function createOcrOutputWriter(
  format: ExportFormat,
  manyFiles: boolean,
  write: (s: string) => void,
): OcrOutputWriter {
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
