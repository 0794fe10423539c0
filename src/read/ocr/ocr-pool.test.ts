import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.js';
import { DocSightError, isDocSightError } from '../../errors.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import type { RawImage } from '../types.js';
import type { OcrEngine, OcrResult } from './engine.js';
import { createOcrEngineInWorker } from './engine-worker.js';
import { createOcrPool, type OcrPool, type OcrPoolOptions } from './ocr-pool.js';
import { renderPage } from './test-support/test-pages.js';

const tempDir = useTempDirs('docsight-ocr-pool-');
const config = configSchema.parse({ home: '/tmp/docsight-ocr-test' }).ocr;
const hasCode = (code: string) => (e: unknown) => isDocSightError(e) && e.code === code;

/** A page of one line, sized so one detector run takes a noticeable share of a second. */
const onePage = (text: string): Promise<RawImage> =>
  renderPage({ width: 1600, height: 300, lines: [{ text, x: 60, y: 180, size: 64 }] });
const textOf = (r: OcrResult): string => r.lines.map((l) => l.text).join('|');

/**
 * Engines whose pages finish when the test says so, to see which engine each call went to and in what order
 * waiting calls are served, without models or timing.
 */
function scriptedEngines() {
  const started: { id: number; calls: { page: number; finish(err?: Error): void }[]; closed: boolean }[] = [];
  const start = async (): Promise<OcrEngine> => {
    const engine = {
      id: started.length,
      calls: [] as { page: number; finish(err?: Error): void }[],
      closed: false,
    };
    started.push(engine);
    return {
      recognize: (image) =>
        new Promise<OcrResult>((resolve, reject) => {
          engine.calls.push({
            page: image.width,
            finish: (err) =>
              err ? reject(err) : resolve({ width: image.width, height: 1, rotation: 0, lines: [] }),
          });
        }),
      close: async () => {
        engine.closed = true;
      },
    };
  };
  return { started, start };
}

/** A stand-in page whose width names it (the scripted engines read nothing). */
const page = (n: number): RawImage => ({ data: new Uint8Array(n * 3), width: n, height: 1, channels: 3 });
/** Lets started engines and settled calls run their continuations. */
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('createOcrPool (scripted engines)', () => {
  it('starts nothing until a page comes, and a second engine only while the first is busy', async () => {
    const { started, start } = scriptedEngines();
    const pool = createOcrPool({ size: 2, start });
    expect(pool.state()).toEqual({ size: 2, engines: 0, busy: 0, waiting: 0 });
    const first = pool.recognize(page(1));
    await settle();
    started[0]!.calls[0]!.finish();
    await first;
    // Pages read one after another reuse the one engine: no second copy of the models.
    const second = pool.recognize(page(2));
    await settle();
    expect(started).toHaveLength(1);
    const third = pool.recognize(page(3));
    await settle();
    expect(started).toHaveLength(2);
    expect(pool.state()).toEqual({ size: 2, engines: 2, busy: 2, waiting: 0 });
    started[0]!.calls[1]!.finish();
    started[1]!.calls[0]!.finish();
    await Promise.all([second, third]);
    await pool.close();
  });

  it('serves waiting calls in the order they came, each on the engine freed first', async () => {
    const { started, start } = scriptedEngines();
    const pool = createOcrPool({ size: 2, start });
    const done: number[] = [];
    const calls = [1, 2, 3, 4, 5].map((n) => pool.recognize(page(n)).then((r) => done.push(r.width)));
    await settle();
    expect(pool.state()).toMatchObject({ engines: 2, busy: 2, waiting: 3 });
    started[1]!.calls[0]!.finish(); // page 2 done: engine 1 takes page 3
    await settle();
    expect(started[1]!.calls.map((c) => c.page)).toEqual([2, 3]);
    started[0]!.calls[0]!.finish(); // page 1 done: engine 0 takes page 4
    await settle();
    started[0]!.calls[1]!.finish(); // page 4 done: engine 0 takes page 5
    await settle();
    expect(started[0]!.calls.map((c) => c.page)).toEqual([1, 4, 5]);
    started[1]!.calls[1]!.finish();
    started[0]!.calls[2]!.finish();
    await Promise.all(calls);
    expect(done).toEqual([2, 1, 4, 3, 5]);
    await pool.close();
  });

  it('replaces an engine that reports ENGINE_FAILED, and keeps one that refused a bad page', async () => {
    const { started, start } = scriptedEngines();
    const pool = createOcrPool({ size: 1, start });
    const bad = pool.recognize(page(1));
    await settle();
    started[0]!.calls[0]!.finish(new DocSightError('BAD_REQUEST', 'not a page'));
    await expect(bad).rejects.toSatisfy(hasCode('BAD_REQUEST'));
    const crashed = pool.recognize(page(2));
    const waiting = pool.recognize(page(3));
    await settle();
    started[0]!.calls[1]!.finish(new DocSightError('ENGINE_FAILED', 'The OCR worker stopped: exit code 1'));
    await expect(crashed).rejects.toSatisfy(hasCode('ENGINE_FAILED'));
    await settle();
    // The dead engine is closed and the waiting call runs on a new one.
    expect(started[0]!.closed).toBe(true);
    expect(started).toHaveLength(2);
    started[1]!.calls[0]!.finish();
    expect((await waiting).width).toBe(3);
    await pool.close();
  });

  it('reports a failed start to the call that caused it and tries again on the next call', async () => {
    let attempts = 0;
    const pool = createOcrPool({
      size: 1,
      start: async () => {
        if (++attempts === 1) throw new DocSightError('MODEL_MISSING', 'no model; run docsight models pull');
        return {
          recognize: async () => ({ width: 7, height: 1, rotation: 0 as const, lines: [] }),
          close: async () => {},
        };
      },
    });
    await expect(pool.recognize(page(1))).rejects.toSatisfy(hasCode('MODEL_MISSING'));
    expect(pool.state().engines).toBe(0);
    expect((await pool.recognize(page(1))).width).toBe(7);
    await pool.close();
  });

  it('lets a waiting call be cancelled without taking an engine', async () => {
    const { started, start } = scriptedEngines();
    const pool = createOcrPool({ size: 1, start });
    const running = pool.recognize(page(1));
    const controller = new AbortController();
    const waiting = pool.recognize(page(2), { signal: controller.signal });
    const after = pool.recognize(page(3));
    await settle();
    controller.abort(new Error('user left'));
    await expect(waiting).rejects.toSatisfy(hasCode('CANCELLED'));
    expect(pool.state().waiting).toBe(1);
    started[0]!.calls[0]!.finish();
    await settle();
    expect(started[0]!.calls.map((c) => c.page)).toEqual([1, 3]);
    started[0]!.calls[1]!.finish();
    await Promise.all([running, after]);
    await pool.close();
  });

  it('closes every engine, fails waiting and later calls with ENGINE_FAILED', async () => {
    const { started, start } = scriptedEngines();
    const pool = createOcrPool({ size: 2, start });
    const calls = [1, 2, 3].map((n) => pool.recognize(page(n)));
    await settle();
    const closing = pool.close();
    await expect(calls[2]).rejects.toSatisfy(hasCode('ENGINE_FAILED'));
    await closing;
    expect(started.map((e) => e.closed)).toEqual([true, true]);
    await expect(pool.recognize(page(4))).rejects.toSatisfy(hasCode('ENGINE_FAILED'));
    expect(pool.state()).toMatchObject({ engines: 0, waiting: 0 });
  });

  it('refuses a pool of no engines', () => {
    expect(() => createOcrPool({ size: 0, start: scriptedEngines().start })).toThrow(/ocr\.workers/);
  });
});

describe('createOcrPool (worker threads, real models)', () => {
  const LINES = ['Invoice 4471 total 1,250.00', 'Quarterly Report 2024'];
  let pages: RawImage[];
  beforeAll(async () => {
    pages = await Promise.all(LINES.map(onePage));
  });

  /** Real worker engines, each wrapped to record how many pages it and the pool hold at once. */
  function watchedWorkers() {
    const engines: OcrEngine[] = [];
    let inFlight = 0;
    let mostAtOnce = 0;
    const start = async (): Promise<OcrEngine> => {
      const engine = await createOcrEngineInWorker(config);
      engines.push(engine);
      return {
        async recognize(image, options) {
          mostAtOnce = Math.max(mostAtOnce, ++inFlight);
          try {
            return await engine.recognize(image, options);
          } finally {
            inFlight--;
          }
        },
        close: () => engine.close(),
      };
    };
    return { engines, start, mostAtOnce: () => mostAtOnce };
  }

  const pools: OcrPool[] = [];
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });
  const newPool = (options: OcrPoolOptions): OcrPool => {
    const pool = createOcrPool(options);
    pools.push(pool);
    return pool;
  };

  it('reads two pages at once on two worker threads, each correctly', async () => {
    const watched = watchedWorkers();
    const pool = newPool({ size: 2, start: watched.start });
    const reading = pages.map((p) => pool.recognize(p));
    // Both calls went to their own engine at once; neither waits for the other.
    expect(pool.state()).toMatchObject({ engines: 2, busy: 2, waiting: 0 });
    const results = await Promise.all(reading);
    expect(results.map(textOf)).toEqual(LINES);
    expect(watched.engines).toHaveLength(2);
    expect(watched.mostAtOnce()).toBe(2);
    expect(pool.state()).toMatchObject({ engines: 2, busy: 0 });
  });

  it('replaces a worker that stopped and reads on with a new one', async () => {
    const watched = watchedWorkers();
    const pool = newPool({ size: 1, start: watched.start });
    expect(textOf(await pool.recognize(pages[0]!))).toBe(LINES[0]);
    // The worker goes away behind the pool's back (as a crash would): the next call reports it...
    await watched.engines[0]!.close();
    await expect(pool.recognize(pages[1]!)).rejects.toSatisfy(hasCode('ENGINE_FAILED'));
    // ...and the one after runs on a fresh worker.
    expect(textOf(await pool.recognize(pages[1]!))).toBe(LINES[1]);
    expect(watched.engines).toHaveLength(2);
  });

  // A process that read pages through the pool must end by itself, closed or not: idle workers hold nothing open.
  it.each(['close', 'no-close'])('lets a process exit after reading two pages at once (%s)', async (mode) => {
    const dir = tempDir();
    const script = join(dir, 'read-two-pages.mts');
    const url = (name: string) => JSON.stringify(new URL(name, import.meta.url).href);
    writeFileSync(
      script,
      [
        `import { configSchema } from ${url('../../config/config.ts')};`,
        `import { createLazyOcrEngine } from ${url('../read-document.ts')};`,
        `import { renderPage } from ${url('./test-support/test-pages.ts')};`,
        `const config = configSchema.parse({ home: ${JSON.stringify(dir)}, ocr: { workers: 2 } });`,
        `const ocr = createLazyOcrEngine(config.ocr);`,
        `const page = (text) => renderPage({ width: 600, height: 120, lines: [{ text, x: 20, y: 70, size: 36 }] });`,
        `const results = await Promise.all([ocr.recognize(await page('Exit cleanly')), ocr.recognize(await page('Both pages'))]);`,
        `console.log(ocr.state().engines, results.map((r) => r.lines.map((l) => l.text).join(' ')).join('|'));`,
        mode === 'close' ? 'await ocr.close();' : '',
      ].join('\n'),
    );
    // The timeout only catches a hang: a process that does not end is killed and the test fails.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
      cwd: process.cwd(),
      timeout: 60_000,
    });
    expect(stdout.trim()).toBe('2 Exit cleanly|Both pages');
  });
});
