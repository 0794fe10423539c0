import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocSight, type DocSight } from '../../app/docsight.js';
import { startIngestion, type Ingestion } from '../../app/ingest.js';
import { createKey } from '../../app/keys.js';
import { loadConfig } from '../../config/config.js';
import { buildPdf } from '../../read/intake/test-support/build-pdf.js';
import { useTempDirs } from '../../test-support/temp-dir.js';
import { testImage, tinyModel } from '../../understand/engine/test-support/test-models.js';
import { startFakeUpstreamServer } from '../cli/test-support/fake-upstream-server.js';
import { createHttpServer } from './server.js';
import { defaultWebRoot } from './web-app.js';

// The WebUI in a real browser (Debian's Chromium driven by playwright-core, never a downloaded browser) against
// the real server on an ephemeral port, with a real library and the tiny synthetic Qwen3-VL (gibberish answers:
// these tests check what the UI does with them, never their wording). Screenshots go to test-artifacts/webui/.
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `webui.test.ts skipped: no ${CHROMIUM}. Install it with \`apt-get install chromium\` (.ci/run does).`,
  );
}
const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'webui');
const tempDir = useTempDirs('docsight-webui-');

/** expect.poll with room for a loaded 2-core machine (its default gives up after 1 s). */
const poll: typeof expect.poll = (fn, options) => expect.poll(fn, { timeout: 20_000, ...options });

describe.skipIf(!hasChromium)('WebUI in Chromium', () => {
  let app: DocSight;
  let ingestion: Ingestion;
  let server: FastifyInstance;
  let base: string;
  let modelDir: string;
  let browser: Browser;
  let page: Page;
  let png: Buffer;
  const dialogs: string[] = [];

  const shot = async (name: string) => {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
  };

  beforeAll(async () => {
    if (!existsSync(join(defaultWebRoot(), 'index.html'))) {
      // A fresh checkout that ran the tests without `npm run build`: build the WebUI once.
      const { build } = await import('vite');
      await build({ configFile: join(process.cwd(), 'web', 'vite.config.ts'), logLevel: 'warn' });
    }
    await mkdir(ARTIFACTS, { recursive: true });
    const model = await tinyModel();
    modelDir = model.dir;
    app = createDocSight(
      loadConfig({
        env: {},
        flags: {
          home: tempDir(),
          understand: { modelPath: model.model, mmprojPath: model.mmproj, threads: 1, slots: 1 },
        },
      }),
      { ocrThread: 'main' },
    );
    ingestion = await startIngestion(app, { pollMs: 50 });
    server = createHttpServer(app, { log: () => undefined, ingestion });
    await server.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    png = (await testImage(96, 3)).png;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // As root in a closed network (FACTS.md): no sandbox, no background connections.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    ingestion?.stop();
    await app?.close();
    if (modelDir) await rm(modelDir, { recursive: true, force: true });
  });

  it('chat: image and question, streamed answer, follow-up from the cache, Stop, history after reload', async () => {
    await page.goto(`${base}/chat`);
    // A huge photo is shrunk to 2048 px on its long side before upload; rotate turns it; remove drops it.
    const huge = await sharp({
      create: { width: 3000, height: 2000, channels: 3, background: { r: 200, g: 120, b: 40 } },
    })
      .png()
      .toBuffer();
    await page.setInputFiles('[data-testid=chat-files]', {
      name: 'huge.png',
      mimeType: 'image/png',
      buffer: huge,
    });
    const picked = page.locator('.picked img').first();
    const size = () => picked.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]);
    await poll(size).toEqual([2048, 1365]);
    await page.click('.picked button:has-text("Rotate")');
    await poll(size).toEqual([1365, 2048]);
    // Crop: drag over the photo from (10 %, 10 %) to (60 %, 35 %) and apply.
    await page.click('.picked button:has-text("Crop")');
    const frame = (await page.locator('.crop-frame').boundingBox())!;
    await page.mouse.move(frame.x + frame.width * 0.1, frame.y + frame.height * 0.1);
    await page.mouse.down();
    await page.mouse.move(frame.x + frame.width * 0.6, frame.y + frame.height * 0.35, { steps: 4 });
    await page.mouse.up();
    await page.click('.crop-dialog button:has-text("Apply")');
    await poll(async () => {
      const [w, h] = await size();
      return Math.abs(w! - 1365 * 0.5) <= 4 && Math.abs(h! - 2048 * 0.25) <= 4;
    }).toBe(true);
    await page.click('.picked button:has-text("Remove")');
    await poll(() => page.locator('.picked img').count()).toBe(0);

    await page.setInputFiles('[data-testid=chat-files]', {
      name: 'photo.png',
      mimeType: 'image/png',
      buffer: png,
    });
    await poll(() => page.locator('.picked img').count()).toBe(1);
    await page.fill('textarea', 'What is in this picture?');
    // Enter that confirms a Chinese IME candidate (composing) does not send.
    await page.dispatchEvent('textarea', 'keydown', { key: 'Enter', isComposing: true, bubbles: true });
    await page.waitForTimeout(300); // a send would have rendered its turn by now
    expect(await page.locator('.turn').count()).toBe(0);
    expect(await page.inputValue('textarea')).toBe('What is in this picture?');
    await page.press('textarea', 'Enter');
    const answers = page.locator('.turn.assistant');
    await answers.first().locator('.cache-note').waitFor();
    // The tiny model's text may be only spaces and odd tokens, so the streamed length is read, not its look.
    const streamed = Number(await answers.first().getAttribute('data-length'));
    expect(streamed).toBeGreaterThan(0);
    expect(await answers.first().locator('.cache-note').innerText()).toMatch(/encoded in \d+ ms/);
    expect(page.url()).toMatch(/\/chat\/[^/]+$/);

    await page.fill('textarea', 'And in one word?');
    await page.press('textarea', 'Enter');
    await answers.nth(1).locator('.cache-note').waitFor();
    expect(await answers.nth(1).locator('.cache-note').innerText()).toBe('answered from cache');
    await shot('chat-desktop');

    // Stop: the answer ends where it was and is marked stopped; the server stores no turn for it.
    await page.fill('textarea', 'Now describe every pixel at length.');
    await page.press('textarea', 'Enter');
    await page.click('button.stop');
    await answers.nth(2).locator('.turn-meta', { hasText: 'stopped' }).waitFor();
    await page.locator('button.primary', { hasText: 'Send' }).waitFor();

    await page.reload();
    await page.locator('.conversations li').first().waitFor();
    expect(await page.locator('.conversations li a').first().innerText()).toBe('What is in this picture?');
    await poll(() => page.locator('.turn').count()).toBe(4);
    expect(await page.locator('.turn.user').nth(1).innerText()).toBe('And in one word?');
    expect(Number(await answers.first().getAttribute('data-length'))).toBe(streamed);
  });

  it('library: a PDF and an image reach done; a word only in the PDF is found and highlighted on its line', async () => {
    const pdf = buildPdf([
      {
        texts: [
          { text: 'Minutes of the harbour meeting', x: 72, y: 700, size: 14 },
          { text: 'The pelican count rose to 41', x: 72, y: 500, size: 12 },
        ],
      },
    ]);
    await page.goto(`${base}/library`);
    await page.setInputFiles('[data-testid=library-files]', [
      { name: 'minutes.pdf', mimeType: 'application/pdf', buffer: Buffer.from(pdf) },
      { name: 'photo.png', mimeType: 'image/png', buffer: png },
    ]);
    await poll(() => page.locator('.upload[data-state=done]').count(), { timeout: 60_000 }).toBe(2);
    await poll(() => page.locator('.documents tr').count()).toBe(2);
    await shot('library-desktop');

    await page.goto(`${base}/search`);
    await page.fill('input[type=search]', 'pelican');
    await page.press('input[type=search]', 'Enter');
    await page.locator('.hit').first().waitFor();
    expect(await page.locator('.hit').count()).toBe(1);
    expect(await page.locator('.hit mark').first().innerText()).toMatch(/pelican/i);
    await shot('search-desktop');
    await page.locator('.hit').first().click();
    const highlight = page.locator('polygon.highlight').first();
    await highlight.waitFor();

    // The highlighted box is the API's box of the line that holds the word, drawn where that line is.
    const [, , documentId, pageNumber] = new URL(page.url()).pathname.split('/');
    const apiPage = (await (
      await fetch(`${base}/api/documents/${documentId}/pages/${pageNumber}`)
    ).json()) as {
      width: number;
      lines: { text: string; box: number[] }[];
    };
    const line = apiPage.lines.find((l) => /pelican/i.test(l.text))!;
    expect(line).toBeDefined();
    const drawn = (await highlight.getAttribute('data-box'))!.split(',').map(Number);
    drawn.forEach((n, i) => expect(Math.abs(n - line.box[i]!)).toBeLessThanOrEqual(1));
    await page.locator('.page img').waitFor();
    const img = (await page.locator('.page img').boundingBox())!;
    const box = (await highlight.boundingBox())!;
    const scale = img.width / apiPage.width;
    const xs = [0, 2, 4, 6].map((i) => line.box[i]!);
    const ys = [1, 3, 5, 7].map((i) => line.box[i]!);
    expect(Math.abs(box.x - (img.x + Math.min(...xs) * scale))).toBeLessThan(4);
    expect(Math.abs(box.y - (img.y + Math.min(...ys) * scale))).toBeLessThan(4);
    expect(await page.locator('.page-text li', { hasText: 'pelican' }).count()).toBe(1);
    // Hovering a line of the text marks its box on the page (and the other way round).
    const lineIndex = apiPage.lines.indexOf(line);
    await page.locator('.page-text li').nth(lineIndex).hover();
    await poll(() => page.locator('polygon.line-box.hover').count()).toBe(1);
    expect(await page.locator('polygon.line-box').nth(lineIndex).getAttribute('class')).toContain('hover');
    await shot('viewer-desktop');
  });

  it('ask the library: a cited answer, and the citation opens the viewer on the cited page', async () => {
    // The tiny model's gibberish cites nothing, so this answer comes from a scripted OpenAI-compatible
    // upstream (a double for the model only) behind a second server on the same library: retrieval, passages,
    // the prompt, the citation mapping and the stream are the server's own.
    const upstream = await startFakeUpstreamServer('The count rose to **41** [1].');
    const citing = createDocSight(
      loadConfig({
        env: {},
        flags: {
          home: app.config.home,
          understand: { backend: 'openai', upstreams: [`${upstream.url}/v1`] },
        },
      }),
      { ocrThread: 'main' },
    );
    const citingServer = createHttpServer(citing, { log: () => undefined });
    // And a server on the same library with no model at all: the passages and how to get a model.
    const modelless = createDocSight(
      loadConfig({
        env: {},
        flags: {
          home: app.config.home,
          understand: {
            modelPath: join(modelDir, 'absent.gguf'),
            mmprojPath: join(modelDir, 'absent-mmproj.gguf'),
          },
        },
      }),
      { ocrThread: 'main' },
    );
    const modellessServer = createHttpServer(modelless, { log: () => undefined });
    try {
      await citingServer.listen({ host: '127.0.0.1', port: 0 });
      await modellessServer.listen({ host: '127.0.0.1', port: 0 });
      const citingBase = `http://127.0.0.1:${(citingServer.server.address() as AddressInfo).port}`;
      const modellessBase = `http://127.0.0.1:${(modellessServer.server.address() as AddressInfo).port}`;

      await page.goto(`${citingBase}/search`);
      await page.fill('input[type=search]', 'How many pelicans?');
      await page.check('label.check input');
      await page.press('input[type=search]', 'Enter');
      await page.locator('.citation').waitFor();
      expect(await page.locator('.ask .markdown strong').innerText()).toBe('41');
      await shot('ask-desktop');
      // The source list links to the cited page with the cited lines' boxes; the [1] in the answer opens it.
      const href = new URL((await page.locator('.citation').first().getAttribute('href'))!, citingBase);
      const [, , documentId, pageNumber] = href.pathname.split('/');
      const cited = (await (await fetch(`${citingBase}/api/documents/${documentId}`)).json()) as {
        name: string;
      };
      expect(cited.name).toBe('minutes.pdf');
      const boxes = href.searchParams.get('hl')!.split(';');
      expect(boxes.length).toBeGreaterThanOrEqual(1);
      await page.click('.ask .markdown a[data-cite="1"]');
      await page.locator('polygon.highlight').first().waitFor();
      expect(new URL(page.url()).pathname).toBe(`/viewer/${documentId}/${pageNumber}`);
      await poll(() => page.locator('polygon.highlight').count()).toBe(boxes.length);
      // The model was given the passage it cited, numbered.
      expect(JSON.stringify(upstream.requests.at(-1)?.body)).toContain('The pelican count rose to 41');

      await page.goto(`${modellessBase}/search`);
      await page.fill('input[type=search]', 'How many pelicans?');
      await page.check('label.check input');
      await page.press('input[type=search]', 'Enter');
      await page.locator('.ask .notice').waitFor();
      expect(await page.locator('.ask .notice').innerText()).toMatch(/absent\.gguf|models pull/);
      expect(await page.locator('.ask .passage').first().innerText()).toContain(
        'The pelican count rose to 41',
      );
    } finally {
      await citingServer.close();
      await modellessServer.close();
      await citing.close();
      await modelless.close();
      await upstream.close();
    }
  });

  it('switches to Chinese, and at 375 px no screen scrolls sideways', async () => {
    await page.goto(`${base}/status`);
    await page.selectOption('select[aria-label=Language]', 'zh-CN');
    await poll(() => page.locator('header nav a').first().innerText()).toBe('对话');
    await shot('status-desktop');
    await page.setViewportSize({ width: 375, height: 740 });
    for (const screen of ['chat', 'library', 'search', 'status']) {
      await page.goto(`${base}/${screen}`);
      await page.locator('main > *').first().waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      await shot(`${screen}-375`);
    }
    // Dark: the theme switch recolours the page (and is remembered by the browser).
    await page.selectOption('header select >> nth=1', 'dark');
    await poll(() => page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(
      'rgb(15, 18, 22)',
    );
    await shot('status-375-dark');
    await page.selectOption('header select >> nth=1', 'light');
    await page.selectOption('header select >> nth=0', 'en');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('a corrupt upload and a server-side 429 each show a readable message, and the app keeps working', async () => {
    await page.goto(`${base}/library`);
    await page.setInputFiles('[data-testid=library-files]', {
      name: 'broken.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.7 this is not really a PDF'),
    });
    const failed = page.locator('.upload[data-state=failed] .error-text');
    await failed.waitFor({ timeout: 30_000 });
    expect((await failed.innerText()).length).toBeGreaterThan(10);

    // A server-side 429: the same library behind a second server whose rate limit is tight (20 requests a
    // minute per client, so a token comes back every 3 s). Searching again and again runs out of tokens.
    const limitedApp = createDocSight(
      loadConfig({ env: {}, flags: { home: app.config.home, server: { rateLimitPerMinute: 20 } } }),
      { ocrThread: 'main' },
    );
    const limited = createHttpServer(limitedApp, { log: () => undefined });
    try {
      await limited.listen({ host: '127.0.0.1', port: 0 });
      const limitedBase = `http://127.0.0.1:${(limited.server.address() as AddressInfo).port}`;
      await page.goto(`${limitedBase}/search`);
      await page.fill('input[type=search]', 'pelican');
      const refused = page.locator('.errors .error', { hasText: 'server.rateLimitPerMinute' });
      for (let i = 0; i < 40 && (await refused.count()) === 0; i++) {
        await page.press('input[type=search]', 'Enter');
        await page.waitForTimeout(50);
      }
      await refused.first().waitFor();
      expect(await refused.first().innerText()).toMatch(/try again in \d+ s/);
      // The app keeps working: once tokens are back (one every 3 s), the same search is answered again (hits
      // of earlier searches stay on screen, so the proof is a search answered after the refusal).
      let answeredAfter = false;
      page.on('response', (r) => {
        if (r.url().endsWith('/api/search') && r.status() === 200) answeredAfter = true;
      });
      for (let i = 0; i < 15 && !answeredAfter; i++) {
        await page.waitForTimeout(2000);
        await page.press('input[type=search]', 'Enter');
      }
      await poll(() => answeredAfter).toBe(true);
      await page.locator('.hit').first().waitFor();
    } finally {
      await limited.close();
      await limitedApp.close();
    }
  });

  it('renders <img onerror> and javascript: links in an answer as inert text', async () => {
    // The server streams what a model said; a scripted OpenAI-compatible upstream (a double for the model only)
    // says something hostile, behind a second server on the same library.
    const evil = 'Look: <img src=x onerror=alert(1)> and [click me](javascript:alert(1)).';
    const upstream = await startFakeUpstreamServer(evil);
    const hostile = createDocSight(
      loadConfig({
        env: {},
        flags: {
          home: app.config.home,
          understand: { backend: 'openai', upstreams: [`${upstream.url}/v1`] },
        },
      }),
      { ocrThread: 'main' },
    );
    const hostileServer = createHttpServer(hostile, { log: () => undefined });
    try {
      await hostileServer.listen({ host: '127.0.0.1', port: 0 });
      const hostileBase = `http://127.0.0.1:${(hostileServer.server.address() as AddressInfo).port}`;
      await page.goto(`${hostileBase}/chat`);
      await page.setInputFiles('[data-testid=chat-files]', {
        name: 'page.png',
        mimeType: 'image/png',
        buffer: png,
      });
      await page.fill('textarea', 'Say something nasty');
      await page.press('textarea', 'Enter');
      const answer = page.locator('.turn.assistant .markdown').last();
      await page.locator('.turn.assistant .turn-meta').last().waitFor();
      expect(await answer.innerText()).toContain('<img src=x onerror=alert(1)>');
      expect(await answer.locator('img').count()).toBe(0);
      expect(await answer.locator('a[href^="javascript"]').count()).toBe(0);
      expect(dialogs).toEqual([]);
    } finally {
      await hostileServer.close();
      await hostile.close();
      await upstream.close();
    }
    await page.goto(`${base}/chat`);

    // Deleting a conversation from the sidebar removes it on the server too.
    // The sidebar loads its list after the page: count from the server, and wait until the sidebar shows it.
    const count = async () =>
      ((await (await fetch(`${base}/api/conversations`)).json()) as { conversations: unknown[] })
        .conversations.length;
    const before = await count();
    expect(before).toBeGreaterThan(0);
    await poll(() => page.locator('.conversations li').count()).toBe(before);
    await page
      .locator('.conversations li')
      .first()
      .getByRole('button', { name: /^Delete / })
      .click();
    await poll(() => page.locator('.conversations li').count()).toBe(before - 1);
    expect(await count()).toBe(before - 1);
  });

  // Last: once a key exists the server requires one for everything after.
  it('asks for an API key when the server requires one, and works once it is entered', async () => {
    const { key } = await createKey(app, { admin: true });
    await page.goto(`${base}/library`);
    const error = page.locator('.errors .error').first();
    await error.waitFor();
    expect(await error.innerText()).toContain('enter an API key under Status');
    expect(await page.locator('.documents tr').count()).toBe(0);

    await page.goto(`${base}/status`);
    await page.fill('input[type=password]', key);
    await page.click('button:has-text("Save")');
    await page.goto(`${base}/library`);
    await poll(() => page.locator('.documents tr').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('.errors .error').count()).toBe(0);
    // Page images come through the key too (an <img src> could not send it).
    await page.locator('.documents a', { hasText: 'minutes.pdf' }).click();
    await poll(() =>
      page.locator('.page img').evaluate((img: HTMLImageElement) => img.naturalWidth),
    ).toBeGreaterThan(0);
  });
});
