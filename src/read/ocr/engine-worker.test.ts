import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.js';
import { isDocSightError } from '../../errors.js';
import type { RawImage } from '../types.js';
import { createOcrEngine, type OcrEngine } from './engine.js';
import { createOcrEngineInWorker } from './engine-worker.js';
import { renderPage } from './test-support/test-pages.js';
import { longestStall } from './test-support/event-loop.js';

const config = configSchema.parse({ home: '/tmp/docsight-ocr-test' }).ocr;
const LINES = ['Quarterly Report 2024', 'Revenue grew by 12 percent', 'Please read the User Manual'];

describe('createOcrEngineInWorker', () => {
  let inWorker: OcrEngine;
  let inProcess: OcrEngine;
  let page: RawImage;
  beforeAll(async () => {
    [inWorker, inProcess] = await Promise.all([createOcrEngineInWorker(config), createOcrEngine(config)]);
    // A 300-dpi-sized page, so one detector run takes long enough to see the difference.
    page = await renderPage({
      width: 2480,
      height: 1200,
      lines: LINES.map((text, i) => ({ text, x: 200, y: 300 + i * 300, size: 60 })),
    });
  });
  afterAll(async () => {
    await Promise.all([inWorker.close(), inProcess.close()]);
  });

  it('reads a page as the in-process engine does', async () => {
    const [a, b] = [await inWorker.recognize(page), await inProcess.recognize(page)];
    expect(a.lines.map((l) => l.text)).toEqual(LINES);
    expect(a).toEqual(b);
  });

  it('leaves the event loop free while a page is read', async () => {
    const worker = await longestStall(() => inWorker.recognize(page));
    const local = await longestStall(() => inProcess.recognize(page));
    // In process, every model run blocks the loop; in the worker only the copy of the pixels does.
    expect(worker).toBeLessThan(local / 2);
  });

  it('passes errors back with their code, and cancels on an aborted signal', async () => {
    const bad = { ...page, width: 10 };
    await expect(inWorker.recognize(bad)).rejects.toSatisfy(
      (e: unknown) => isDocSightError(e) && e.code === 'BAD_REQUEST',
    );
    const controller = new AbortController();
    controller.abort(new Error('user left'));
    await expect(inWorker.recognize(page, { signal: controller.signal })).rejects.toSatisfy(
      (e: unknown) => isDocSightError(e) && e.code === 'CANCELLED',
    );
    // The engine still works afterwards.
    expect((await inWorker.recognize(page)).lines).toHaveLength(3);
  });
});

describe('closing a worker engine', () => {
  it('fails calls after close() with ENGINE_FAILED instead of waiting for the stopped thread', async () => {
    const ocr = await createOcrEngineInWorker(config);
    await ocr.close();
    await ocr.close();
    const page = await renderPage({
      width: 400,
      height: 100,
      lines: [{ text: 'Hi', x: 20, y: 60, size: 30 }],
    });
    await expect(ocr.recognize(page)).rejects.toSatisfy(
      (e: unknown) => isDocSightError(e) && e.code === 'ENGINE_FAILED',
    );
  });

  // A process that read a page through a worker engine must end by itself, whether or not it closed the
  // engine (an idle worker does not hold the process open).
  it.each(['close', 'no-close'])('lets a process exit after reading a page (%s)', async (mode) => {
    const dir = mkdtempSync(join(tmpdir(), 'docsight-worker-exit-'));
    try {
      const script = join(dir, 'read-one-page.mts');
      const url = (name: string) => JSON.stringify(new URL(name, import.meta.url).href);
      writeFileSync(
        script,
        [
          `import { configSchema } from ${url('../../config/config.ts')};`,
          `import { createOcrEngineInWorker } from ${url('./engine-worker.ts')};`,
          `import { renderPage } from ${url('./test-support/test-pages.ts')};`,
          `const ocr = await createOcrEngineInWorker(configSchema.parse({ home: ${JSON.stringify(dir)} }).ocr);`,
          `const page = await renderPage({ width: 600, height: 120, lines: [{ text: 'Exit cleanly', x: 20, y: 70, size: 36 }] });`,
          `const { lines } = await ocr.recognize(page);`,
          `console.log(lines.map((l) => l.text).join('|'));`,
          mode === 'close' ? 'await ocr.close();' : '',
        ].join('\n'),
      );
      // The timeout only catches a hang: a process that does not end is killed and the test fails.
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
        cwd: process.cwd(),
        timeout: 30_000,
      });
      expect(stdout.trim()).toBe('Exit cleanly');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
