import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import sharp from 'sharp';
import { buildPdf } from '../../read/intake/test-support/build-pdf.js';
import { pngBomb } from '../../read/intake/test-support/png-bomb.js';
import { renderTextPng } from '../../read/intake/test-support/render-text.js';
import { runCli } from './main.js';

const dir = mkdtempSync(join(tmpdir(), 'docsight-ocr-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const home = join(dir, 'home');
const letter = join(dir, 'letter.pdf');
const receipt = join(dir, 'receipt.png');
const notes = join(dir, 'notes.txt');

/** Runs the CLI in this process and captures what it writes. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await runCli(['--home', home, ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

beforeAll(async () => {
  writeFileSync(
    letter,
    buildPdf([
      {
        texts: [
          { text: 'Dear Sir,', x: 72, y: 700, size: 12 },
          { text: 'thank you for your letter.', x: 72, y: 686, size: 12 },
          { text: 'Yours, A. Smith', x: 72, y: 640, size: 12 },
        ],
      },
      { texts: [{ text: '# not a heading', x: 72, y: 700, size: 12 }] },
    ]),
  );
  writeFileSync(receipt, await renderTextPng('Total due: 1,250.00 EUR'));
  writeFileSync(notes, 'just some notes\n');
});

/** A photo's JPEG cut off halfway through its pixel data. */
async function halfJpeg(): Promise<Buffer> {
  const jpeg = await sharp(await renderTextPng('Cut short'))
    .jpeg()
    .toBuffer();
  return jpeg.subarray(0, jpeg.length / 2);
}

/** A PDF that needs a password to open. */
const lockedPdf = (): Uint8Array =>
  buildPdf([{ texts: [{ text: 'secret', x: 72, y: 700, size: 12 }] }], { userPassword: 'hunter2' });

afterEach(() => {
  process.exitCode = undefined;
});

describe('docsight ocr', () => {
  it('prints plain text: paragraphs apart, pages split by a form feed', async () => {
    const { code, stdout, stderr } = await cli('ocr', letter);
    expect(code).toBe(0);
    expect(stdout).toBe('Dear Sir,\nthank you for your letter.\n\nYours, A. Smith\n\f\n# not a heading\n');
    expect(stderr).toBe(''); // no progress bar: stderr is not a terminal here
  });

  it('draws a progress bar on stderr when it is a terminal, and erases it', async () => {
    const wasTTY = process.stderr.isTTY;
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    try {
      const { code, stdout, stderr } = await cli('ocr', letter);
      expect(code).toBe(0);
      expect(stdout.startsWith('Dear Sir,')).toBe(true);
      const frames = stderr.split('\r\x1b[K').filter(Boolean);
      expect(frames.map((f) => f.replace(/ \[[#.]+\] +/, ' '))).toEqual([
        'letter.pdf 0/2',
        'letter.pdf 1/2',
        'letter.pdf 2/2',
      ]);
      expect(stderr.endsWith('\r\x1b[K')).toBe(true);
    } finally {
      Object.defineProperty(process.stderr, 'isTTY', { value: wasTTY, configurable: true });
    }
  });

  it('prints Markdown with a heading per file and page and escapes text that looks like syntax', async () => {
    const { stdout } = await cli('ocr', '--format', 'markdown', letter);
    expect(stdout).toBe(
      `# ${letter}\n\n## Page 1\n\nDear Sir, thank you for your letter.\n\nYours, A. Smith\n\n` +
        '## Page 2\n\n\\# not a heading\n',
    );
  });

  it('prints the documented JSON for one file, at the dpi given', async () => {
    const { code, stdout } = await cli('ocr', '--format', 'json', '--dpi', '72', letter);
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(Object.keys(json)).toEqual(['pages']);
    expect(json.pages).toHaveLength(2);
    const [first] = json.pages;
    // A4 at 72 dpi is 595×842 pixels: page points one to one.
    expect(first).toMatchObject({ page: 1, width: 595, height: 842, source: 'text-layer' });
    expect(Object.keys(first.lines[0])).toEqual(['text', 'box', 'confidence']);
    expect(first.lines[0]).toMatchObject({ text: 'Dear Sir,', confidence: 1 });
    const [x0, y0] = first.lines[0].box;
    expect(x0).toBeCloseTo(72, 0);
    expect(y0).toBeGreaterThan(842 - 700 - 14);
    expect(y0).toBeLessThan(842 - 700);
  });

  it('reads several files, OCR included, into one JSON object with a "file" key each', async () => {
    const { code, stdout } = await cli('ocr', letter, receipt, '--format', 'json', '--threads', '1');
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.files.map((f: { file: string }) => f.file)).toEqual([letter, receipt]);
    const [scan] = json.files[1].pages;
    expect(scan).toMatchObject({ page: 1, source: 'ocr' });
    const text = scan.lines.map((l: { text: string }) => l.text).join(' ');
    expect(text.replace(/\s+/g, '').toLowerCase()).toContain('totaldue:1,250.00eur');
    expect(scan.lines[0].box).toHaveLength(8);
    expect(scan.lines[0].confidence).toBeGreaterThan(0.5);
    expect(scan.lines[0].confidence).toBeLessThanOrEqual(1);
  });

  it('fails with one line naming the file and the problem, and prints nothing on stdout', async () => {
    const { code, stdout, stderr } = await cli('ocr', notes);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `docsight: error (UNSUPPORTED_TYPE): ${notes}: not a supported document (found text). ` +
        'Send PNG, JPEG, WebP, TIFF, BMP, GIF or PDF.\n',
    );
    const missing = await cli('ocr', join(dir, 'missing.png'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^docsight: error \(NOT_FOUND\): .*missing\.png: no such file/);
  });

  it.each([
    ['zero bytes', 'zero.png', () => new Uint8Array(), 'EMPTY_FILE', 'is empty (0 bytes)'],
    ['text named .png', 'words.png', () => Buffer.from('not an image\n'), 'UNSUPPORTED_TYPE', 'found text'],
    ['a JPEG cut short', 'half.jpg', halfJpeg, 'CORRUPT_FILE', 'damaged or cut short'],
    ['a PNG claiming 20000×20000', 'bomb.png', () => pngBomb(20000, 20000), 'TOO_MANY_PIXELS', '400,000,000'],
    ['an encrypted PDF', 'locked.pdf', lockedPdf, 'ENCRYPTED_PDF', 'encrypted and needs a password'],
    ['a PDF cut short', 'cut.pdf', () => buildPdf([{}]).subarray(0, 100), 'CORRUPT_FILE', 'cannot be opened'],
  ] as const)(
    'refuses %s with exit code 1 and one line naming the file',
    async (_, name, bytes, code, says) => {
      const file = join(dir, name);
      writeFileSync(file, await bytes());
      const run = await cli('ocr', file);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(new RegExp(`^docsight: error \\(${code}\\): ${file}[: ][^\\n]*\\n$`));
      expect(run.stderr).toContain(says);
    },
  );

  it('refuses a PDF with more pages than intake.maxPages before reading any', async () => {
    const configFile = join(dir, 'short-limit.json');
    writeFileSync(configFile, JSON.stringify({ intake: { maxPages: 2 } }));
    const long = join(dir, 'three.pdf');
    writeFileSync(long, buildPdf([{}, {}, {}]));
    const run = await cli('--config', configFile, 'ocr', long);
    expect([run.code, run.stdout]).toEqual([1, '']);
    expect(run.stderr).toBe(
      `docsight: error (TOO_MANY_PAGES): ${long}: 3 pages is over the limit of 2 (intake.maxPages). ` +
        'Split the document, or raise the limit.\n',
    );
  });

  it('reads every page of a multi-page TIFF and the first frame of a GIF, named for neither', async () => {
    const frames = await Promise.all(
      ['First page', 'Second page'].map(async (text) =>
        sharp(await renderTextPng(text))
          .resize(520, 120, { fit: 'contain', background: '#ffffff' })
          .png()
          .toBuffer(),
      ),
    );
    const tiff = join(dir, 'fax.dat');
    writeFileSync(
      tiff,
      await sharp(frames, { join: { animated: true } })
        .tiff({ compression: 'lzw' })
        .toBuffer(),
    );
    const gif = join(dir, 'animation.bin');
    writeFileSync(
      gif,
      await sharp(frames, { join: { animated: true } })
        .gif()
        .toBuffer(),
    );
    const tiffRun = await cli('ocr', '--format', 'json', tiff);
    expect(tiffRun.code).toBe(0);
    const pages = JSON.parse(tiffRun.stdout).pages as {
      page: number;
      source: string;
      lines: { text: string }[];
    }[];
    expect(pages.map((p) => [p.page, p.source])).toEqual([
      [1, 'ocr'],
      [2, 'ocr'],
    ]);
    expect(
      pages.map((p) =>
        p.lines
          .map((l) => l.text)
          .join(' ')
          .toLowerCase(),
      ),
    ).toEqual(['first page', 'second page']);
    const gifRun = await cli('ocr', gif);
    expect([gifRun.code, gifRun.stdout.toLowerCase()]).toEqual([0, 'first page\n']);
  });

  it('keeps JSON valid when a page fails part-way: the pages read so far, then the error', async () => {
    const frames = await Promise.all(
      ['Page one', 'Page two', 'Page three'].map(async (text) =>
        sharp(await renderTextPng(text))
          .resize(520, 120, { fit: 'contain', background: '#ffffff' })
          .png()
          .toBuffer(),
      ),
    );
    const whole = await sharp(frames, { join: { animated: true } })
      .tiff({ compression: 'lzw' })
      .toBuffer();
    const cut = join(dir, 'cut.tif');
    writeFileSync(cut, whole.subarray(0, whole.length - 50)); // the last page's directory is lost
    const one = await cli('ocr', '--format', 'json', cut);
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(/error \(CORRUPT_FILE\): .*cut\.tif page 3/);
    const report = JSON.parse(one.stdout) as {
      pages: { page: number }[];
      error: { code: string; message: string };
    };
    expect(report.pages.map((p) => p.page)).toEqual([1, 2]);
    expect(report.error).toMatchObject({ code: 'CORRUPT_FILE', message: expect.stringMatching(/page 3/) });

    // Several files: the ones before are whole, the failed one carries its error, the rest are not read.
    const many = await cli('ocr', '--format', 'json', receipt, cut, letter);
    expect(many.code).toBe(1);
    const files = (
      JSON.parse(many.stdout) as { files: { file: string; pages: unknown[]; error?: unknown }[] }
    ).files;
    expect(files.map((f) => [f.file, f.pages.length, f.error !== undefined])).toEqual([
      [receipt, 1, false],
      [cut, 2, true],
    ]);
  });

  it('takes settings from --config, with flags winning over the file', async () => {
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ intake: { pdfDpi: 72 } }));
    const fromFile = JSON.parse(
      (await cli('--config', configFile, 'ocr', '--format', 'json', letter)).stdout,
    );
    expect(fromFile.pages[0]).toMatchObject({ width: 595, height: 842 });
    const flagWins = await cli('--config', configFile, 'ocr', '--format', 'json', '--dpi', '144', letter);
    expect(JSON.parse(flagWins.stdout).pages[0]).toMatchObject({ width: 1190, height: 1684 });
  });

  it('rejects bad flags before reading anything', async () => {
    expect((await cli('ocr', '--format', 'pdf', letter)).stderr).toContain(
      'Allowed choices are text, json, markdown',
    );
    expect((await cli('ocr', '--dpi', 'high', letter)).code).not.toBe(0);
    const tooSharp = await cli('ocr', '--dpi', '5000', letter);
    expect(tooSharp.code).toBe(1);
    expect(tooSharp.stderr).toContain('error (BAD_CONFIG)');
    expect(tooSharp.stderr).toContain('intake.pdfDpi');
    // --threads reaches ocr.threads (the setting the engine is built from), checked like the file's value.
    const tooMany = await cli('ocr', '--threads', '65', letter);
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toMatch(
      /^docsight: error \(BAD_CONFIG\): .*ocr\.threads: Too big: expected number to be <=64\n$/,
    );
  });
});

describe('docsight with no command', () => {
  it('prints the help, which lists ocr, and exits 0 (what `npm start` shows for now)', async () => {
    const { code, stdout, stderr } = await cli();
    expect(code).toBe(0);
    expect(stdout + stderr).toMatch(/Usage: docsight[\s\S]*ocr \[options\] <file\.\.\.>/);
  });
});

describe('bin/docsight.js ocr (the built CLI, in a child process)', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const built = existsSync(join(root, 'dist/serve/cli/ocr-command.js'));
  it.skipIf(!built)(
    'prints the text of a PDF and exits 0, also when its reader stops early (skipped when dist/ is not built: run npm run build)',
    async () => {
      const bin = join(root, 'bin/docsight.js');
      const { stdout } = await promisify(execFile)(process.execPath, [bin, '--home', home, 'ocr', letter]);
      expect(stdout.split('\n')[0]).toBe('Dear Sir,');

      // `docsight ocr long.pdf | head -1`: far more output than a pipe holds, and the reader leaves.
      const long = join(dir, 'long.pdf');
      const text = 'A line of text long enough to fill the pipe buffer quickly, again and again.';
      const page = {
        texts: Array.from({ length: 40 }, (_, i) => ({ text, x: 40, y: 800 - i * 18, size: 9 })),
      };
      writeFileSync(long, buildPdf(Array.from({ length: 200 }, () => page)));
      const child = spawn(process.execPath, [bin, '--home', home, 'ocr', long], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += String(chunk)));
      child.stdout.once('data', () => child.stdout.destroy());
      const [code] = (await once(child, 'exit')) as [number];
      expect(stderr).toBe('');
      expect(code).toBe(0);
    },
  );
});
