import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { createDocSight } from '../../app/docsight.js';
import type { ExportFormat } from '../../app/export-pages.js';
import { ocrDocument } from '../../app/ocr.js';
import type { Config } from '../../config/config.js';
import { readLocalFile } from '../../read/intake/read-local-file.js';
import { configFromGlobals } from './command-config.js';
import { createOcrOutputWriter } from './ocr-output.js';
import { positiveInteger } from './options.js';
import { createProgressBar } from './progress.js';

/**
 * `docsight ocr <file...>`: reads images and PDFs and prints their text (text, JSON or Markdown).
 * Pages are printed as they are read, so long documents stream.
 */

interface OcrCommandOptions {
  format: ExportFormat;
  dpi?: number;
  threads?: number;
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
      positiveInteger('--dpi'),
    )
    .option('--threads <n>', 'OCR threads (default: ocr.threads, 1)', positiveInteger('--threads'))
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

async function runOcr(files: string[], format: ExportFormat, config: Config): Promise<void> {
  ignoreBrokenPipe();
  const stop = new AbortController();
  const write = (s: string): void => {
    if (process.stdout.destroyed) stop.abort();
    if (!stop.signal.aborted) process.stdout.write(s);
  };
  const writer = createOcrOutputWriter(format, files.length > 1, write);
  // One engine for all files, loaded only if some page has no text layer. In process: this command serves
  // nothing while it reads, and a worker thread cost more here (a SROIE page, 3 runs each, shared 2-core
  // machine: 2.54 against 2.39 CPU s, 467 against 436 MB peak RSS).
  const app = createDocSight(config, { ocrThread: 'main' });
  try {
    for (const file of files) {
      const bar = createProgressBar(process.stderr, basename(file));
      let begun = false;
      try {
        // Named by the path as typed, so an error says which argument it was.
        const document = { bytes: await readLocalFile(file, config.intake), name: file };
        // Draw the empty bar at once: the first scanned page can take seconds.
        const pages = ocrDocument(app, document, {
          onOpen: (total) => bar.update(0, total),
          onPage: bar.update,
        });
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
    await app.close();
  }
}
