import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EnvHttpProxyAgent, fetch, type Dispatcher } from 'undici';
import { DocSightError } from '../errors.js';

export interface DownloadProgress {
  /** Bytes on disk so far, including a resumed part. */
  received: number;
  /** Expected size in bytes, when known. */
  total?: number;
  /** True when this attempt continued an earlier partial file. */
  resumed: boolean;
}

export interface DownloadOptions {
  url: string;
  /** Final path; the file appears there only once complete and verified. */
  dest: string;
  expectedSize?: number;
  /** Lower-case hex sha256 the finished file must have. */
  sha256?: string;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Attempts after a dropped connection; each one resumes where the last stopped. */
  retries?: number;
  /** Milliseconds before the first retry; doubles each time. */
  retryDelayMs?: number;
  /** Defaults to an agent that honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY. */
  dispatcher?: Dispatcher;
}

/** Where an unfinished download is kept so that the next attempt can resume it. */
export const partialPath = (dest: string): string => `${dest}.part`;

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new DocSightError('CANCELLED', 'Download cancelled.'));
      },
      { once: true },
    );
  });

/** One HTTP attempt: appends to the partial file from where it ends. Throws on HTTP errors. */
async function attempt(options: DownloadOptions, dispatcher: Dispatcher): Promise<void> {
  const part = partialPath(options.dest);
  let offset = await fileSize(part);
  if (options.expectedSize !== undefined && offset > options.expectedSize) {
    // A part larger than the file can only be garbage from another file: start again.
    await rm(part, { force: true });
    offset = 0;
  }
  if (options.expectedSize !== undefined && offset === options.expectedSize) return;

  const headers: Record<string, string> = { 'user-agent': 'docsight' };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  const response = await fetch(options.url, {
    headers,
    dispatcher,
    signal: options.signal,
    redirect: 'follow',
  });

  if (response.status === 416 && offset > 0) {
    // The server says our part already covers the whole file; verification decides.
    await response.body?.cancel();
    return;
  }
  if (response.status !== 200 && response.status !== 206) {
    await response.body?.cancel();
    const hint =
      response.status === 404
        ? 'The file is not on the server: check the model name, revision and HF_ENDPOINT.'
        : response.status === 401 || response.status === 403
          ? 'The server refused access: the repository may be gated or need a token.'
          : 'Try again later, or set HF_ENDPOINT to a mirror.';
    throw new DocSightError(
      'DOWNLOAD_FAILED',
      `GET ${options.url} answered HTTP ${response.status}. ${hint}`,
    );
  }
  // 200 to a range request means the server ignored the range: the body is the whole file.
  const resumed = response.status === 206;
  if (!resumed) offset = 0;
  if (!response.body) throw new DocSightError('DOWNLOAD_FAILED', `GET ${options.url} returned no body.`);

  let received = offset;
  const length = Number(response.headers.get('content-length'));
  const total = options.expectedSize ?? (Number.isFinite(length) && length > 0 ? length + offset : undefined);
  options.onProgress?.({ received, total, resumed });
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => {
    received += chunk.length;
    options.onProgress?.({ received, total, resumed });
  });
  await pipeline(body, createWriteStream(part, { flags: resumed ? 'a' : 'w' }));
}

/**
 * Downloads `url` to `dest` with resume (HTTP Range), retries, size and sha256 verification, and an atomic
 * rename: `dest` either does not exist or is the complete, verified file.
 *
 * @example
 *   await downloadFile({ url, dest: '/models/x.gguf', expectedSize: 1107409952, sha256: '089d…', onProgress: console.log });
 */
export async function downloadFile(options: DownloadOptions): Promise<void> {
  const dispatcher = options.dispatcher ?? new EnvHttpProxyAgent();
  const retries = options.retries ?? 5;
  const part = partialPath(options.dest);
  await mkdir(dirname(options.dest), { recursive: true });

  for (let round = 0; ; round++) {
    try {
      await attempt(options, dispatcher);
      break;
    } catch (err) {
      if (options.signal?.aborted)
        throw new DocSightError('CANCELLED', 'Download cancelled; run it again to resume.');
      const isHttpError = err instanceof DocSightError;
      if (isHttpError || round >= retries) {
        if (isHttpError) throw err;
        throw new DocSightError(
          'DOWNLOAD_FAILED',
          `Download of ${options.url} failed after ${round + 1} attempts (${(err as Error).message}). ` +
            'The part downloaded so far is kept: run the same command again to resume.',
          { cause: err },
        );
      }
      await sleep((options.retryDelayMs ?? 1000) * 2 ** round, options.signal);
    }
  }

  const size = await fileSize(part);
  if (options.expectedSize !== undefined && size !== options.expectedSize) {
    await rm(part, { force: true });
    throw new DocSightError(
      'CHECKSUM_MISMATCH',
      `${options.url}: got ${size} bytes, expected ${options.expectedSize}. The partial file was removed; run again.`,
    );
  }
  if (options.sha256) {
    const actual = await hashFile(part);
    if (actual !== options.sha256.toLowerCase()) {
      await rm(part, { force: true });
      throw new DocSightError(
        'CHECKSUM_MISMATCH',
        `${options.url}: sha256 is ${actual}, expected ${options.sha256}. The file was removed; ` +
          'run again, or check that HF_ENDPOINT points to a faithful mirror.',
      );
    }
  }
  await rename(part, options.dest);
}
