import { readFileSync, existsSync } from 'node:fs';
import { availableParallelism, homedir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DocSightError } from '../errors.js';

/** The vision-language engine: which backend answers, how many requests at once, how long they may wait. */
const understandSchema = z
  .object({
    /** `llama`: Qwen3-VL in local worker processes; `openai`: OpenAI-compatible upstream servers. */
    backend: z.enum(['llama', 'openai']).default('llama'),
    /** llama: the text GGUF; default the pulled catalog model (`docsight models pull`). */
    modelPath: z.string().min(1).optional(),
    /** llama: the vision projector GGUF (with modelPath). */
    mmprojPath: z.string().min(1).optional(),
    /** llama: CPU threads per slot; default all cores. */
    threads: z.number().int().min(1).max(256).optional(),
    /** llama: context length per slot, tokens (prompt + image + answer). */
    contextSize: z.number().int().min(512).max(262_144).default(8192),
    /** Requests answered at once: llama worker processes (one model each), or parallel upstream requests. */
    slots: z.number().int().min(1).max(64).default(1),
    /** openai: upstream base URLs (llama-server, vLLM, Ollama); requests rotate over them. */
    upstreams: z
      .array(z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }))
      .default([]),
    /** openai: the model name sent upstream. */
    upstreamModel: z.string().min(1).default('qwen3-vl-2b-instruct'),
    /** openai: bearer token for the upstreams (also DOCSIGHT_UPSTREAM_API_KEY); masked when printed. */
    apiKey: z.string().min(1).optional(),
    /** Requests allowed to wait for a slot; more are refused with BUSY. */
    maxQueue: z.number().int().min(0).max(10_000).default(16),
    /** Longest a request may run once it has a slot, ms; 0 = no limit. */
    requestTimeoutMs: z.number().int().min(0).default(300_000),
    /** Disk space for saved image states (llama only: follow-ups skip the vision encoder). */
    imageStateCacheBytes: z
      .number()
      .int()
      .min(0)
      .default(2 * 1024 ** 3),
  })
  .strict()
  .superRefine((u, ctx) => {
    if (u.backend === 'openai' && u.upstreams.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['upstreams'],
        message: 'the openai backend needs at least one upstream URL (--upstream URL or DOCSIGHT_UPSTREAM)',
      });
    }
    if ((u.modelPath === undefined) !== (u.mmprojPath === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [u.modelPath === undefined ? 'modelPath' : 'mmprojPath'],
        message: 'give both modelPath (text GGUF) and mmprojPath (vision projector GGUF), or neither',
      });
    }
  });

/** Cores this process may use: the default number of OCR workers and of documents ingested at once. */
const CORES = Math.min(64, availableParallelism());

/** Memory one OCR worker may take at its peak, with room to spare (bench:ingest: ~0.7 GB each). */
const OCR_WORKER_BYTES = 0.75 * 1024 ** 3;

/**
 * The default number of OCR workers: one per core, but no more than fit in half the memory (the other half
 * for the process itself, the vision-language model and the page cache), so a small container or VM is not
 * pushed out of memory by its core count. Memory is the cgroup limit where one is set.
 *
 * @example
 *   defaultOcrWorkers(16, 4 * 1024 ** 3); // 2: a 16-core VM with 4 GB
 */
export function defaultOcrWorkers(cores: number, memoryBytes: number): number {
  return Math.max(1, Math.min(cores, Math.floor(memoryBytes / 2 / OCR_WORKER_BYTES)));
}

const OCR_WORKERS = defaultOcrWorkers(
  CORES,
  Math.min(totalmem(), process.constrainedMemory?.() || Number.POSITIVE_INFINITY),
);

/** The HTTP API and WebUI (`docsight serve`, `npm start`). */
const serverSchema = z
  .object({
    /** Address to listen on. Without API keys only loopback addresses are allowed (see `docsight keys`). */
    host: z.string().min(1).default('127.0.0.1'),
    /** TCP port; 0 picks a free one (tests). */
    port: z.number().int().min(0).max(65_535).default(8080),
    /**
     * Largest JSON request body, bytes: a chat request carries its images as base64 data URLs, a third larger
     * than the files. Uploads to /api/documents are limited by intake.maxFileBytes instead.
     */
    maxJsonBytes: z
      .number()
      .int()
      .min(1024)
      .default(32 * 1024 * 1024),
    /** Images in one chat request. */
    maxImagesPerRequest: z.number().int().min(1).max(64).default(8),
    /** Messages in one chat request; more are a 400 naming `messages`. */
    maxMessagesPerRequest: z.number().int().min(1).max(10_000).default(200),
    /**
     * Requests per minute one API key may make to /api and /v1 (per client address while no key exists), with
     * bursts up to the same number; past it, 429 RATE_LIMITED with Retry-After. 0 = no limit.
     */
    rateLimitPerMinute: z.number().int().min(0).max(1_000_000).default(600),
    /**
     * Longest a non-streamed generation request (/v1/chat/completions, /api/ask) may take, queue wait included,
     * ms; past it the generation is stopped and the client gets 504 TIMEOUT. Streamed answers are bounded by
     * understand.requestTimeoutMs (per generation, once it has a slot). 0 = no limit.
     */
    requestTimeoutMs: z.number().int().min(0).default(600_000),
    /**
     * http(s) image URLs in chat requests, fetched by the server. Off while `allow` is empty: image parts must be
     * data URLs or library pages. Hosts are exact names or `*.suffix`; addresses on this machine's networks
     * (loopback, private, link-local, unique-local) are refused whatever the name.
     */
    remoteImages: z
      .object({
        /** Host names whose images may be fetched: `images.example.com`, `*.example.com`. */
        allow: z.array(z.string().min(1)).default([]),
        /** Largest image fetched, bytes. */
        maxBytes: z
          .number()
          .int()
          .min(1024)
          .default(20 * 1024 * 1024),
        /** Longest one fetch (redirects included) may take, ms. */
        timeoutMs: z.number().int().min(100).default(10_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/**
 * One typed configuration object for the whole process.
 * Sources, later ones win: defaults → config file (`$DOCSIGHT_HOME/config.json` or `--config`) → environment → flags.
 */
export const configSchema = z
  .object({
    /** Where the library, blobs, models and caches live. */
    home: z.string().min(1),
    ocr: z
      .object({
        /** Intra-op threads per OCR session; 1 per worker scales best when cores are shared (FACTS.md). */
        threads: z.number().int().min(1).max(64).default(1),
        /**
         * OCR engines that read pages at once, each on its own worker thread with its own copy of the models
         * (~0.7 GB each at peak; see docs/ocr-pool.md). Started only when pages wait for one; default one per
         * core, at most as many as fit in half the memory (`defaultOcrWorkers`).
         */
        workers: z.number().int().min(1).max(64).default(OCR_WORKERS),
        /** Line crops recognised per model call. */
        batchSize: z.number().int().min(1).max(256).default(16),
        /** Long side, in pixels, the page is scaled to for text detection. */
        detectMaxSide: z.number().int().min(320).max(8000).default(1920),
        /** Lines recognised with a lower mean confidence are dropped. */
        minConfidence: z.number().min(0).max(1).default(0.5),
        /**
         * Recogniser arithmetic: 'int8' runs its largest convolutions quantised (quantize-graph.ts, made and
         * cached on first use; same char F1/CER on the dev splits, ~15-20 % less CPU per page) on CPUs with
         * exact int8 kernels (x86 VNNI/AMX or ARM64; float elsewhere, see int8-support.ts), 'float' the
         * folded fp32 model.
         */
        precision: z.enum(['int8', 'float']).default('int8'),
      })
      .strict()
      .default({
        threads: 1,
        workers: OCR_WORKERS,
        batchSize: 16,
        detectMaxSide: 1920,
        minConfidence: 0.5,
        precision: 'int8',
      }),
    intake: z
      .object({
        /** Images (or rendered pages) above this many pixels are rejected before decoding. */
        maxPixels: z.number().int().min(1).default(100_000_000),
        /** Documents with more pages are rejected. */
        maxPages: z.number().int().min(1).default(2000),
        /** Resolution scanned PDF pages are rendered at for OCR. */
        pdfDpi: z.number().int().min(36).max(600).default(300),
        /** Largest accepted file, bytes. */
        maxFileBytes: z
          .number()
          .int()
          .min(1)
          .default(512 * 1024 * 1024),
        /**
         * Longest the PDF engine may work on opening a file, or on one page (its text layer and renders
         * together), ms; past it the engine's thread is stopped and the file fails with TOO_COMPLEX.
         * Default 10 000.
         */
        pdfPageTimeoutMs: z.number().int().min(100).default(10_000),
        /**
         * Most memory the PDF engine (PDFium's WebAssembly heap) may grow to, bytes; a file needing more fails
         * with TOO_COMPLEX and the engine is replaced. Default 1 GiB.
         */
        pdfEngineMemoryBytes: z
          .number()
          .int()
          .min(64 * 1024 * 1024)
          .max(4 * 1024 * 1024 * 1024)
          .default(1024 * 1024 * 1024),
      })
      .strict()
      .default({
        maxPixels: 100_000_000,
        maxPages: 2000,
        pdfDpi: 300,
        maxFileBytes: 512 * 1024 * 1024,
        pdfPageTimeoutMs: 10_000,
        pdfEngineMemoryBytes: 1024 * 1024 * 1024,
      }),
    library: z
      .object({
        /**
         * Documents ingested at once. Their scanned pages share the `ocr.workers` engines, so the default (one
         * per core, like `ocr.workers`) keeps every OCR worker busy; more only helps text-layer documents.
         */
        concurrency: z.number().int().min(1).max(64).default(CORES),
        /** Attempts per ingest job before it is marked failed (transient engine errors only). */
        maxAttempts: z.number().int().min(1).max(20).default(3),
        /** First retry delay, milliseconds; doubles with each attempt. */
        retryBaseMs: z.number().int().min(0).default(2000),
        /** Largest retrieval chunk, characters. */
        chunkChars: z.number().int().min(100).max(100_000).default(1500),
        /** Resolution of the page images kept for PDF and TIFF pages (the page viewer's picture). */
        pageImageDpi: z.number().int().min(36).max(300).default(110),
        /** Embedding GGUF model for dense retrieval; none means BM25 only. */
        embeddingModel: z.string().min(1).optional(),
        /** Background ingestion pauses between pages while a question is being answered. */
        yieldToQuestions: z.boolean().default(true),
      })
      .strict()
      .default({
        concurrency: CORES,
        maxAttempts: 3,
        retryBaseMs: 2000,
        chunkChars: 1500,
        pageImageDpi: 110,
        yieldToQuestions: true,
      }),
    // Parsed from {} when absent, so every default above applies.
    understand: understandSchema.prefault({}),
    server: serverSchema.prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

/** Everything a caller may override; nested objects are merged, not replaced. */
export type ConfigOverrides = {
  home?: string;
  ocr?: Partial<Config['ocr']>;
  intake?: Partial<Config['intake']>;
  library?: Partial<Config['library']>;
  understand?: Partial<Config['understand']>;
  server?: Partial<Omit<Config['server'], 'remoteImages'>> & {
    remoteImages?: Partial<Config['server']['remoteImages']>;
  };
};

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON config file; default `$DOCSIGHT_HOME/config.json` when it exists. */
  configFile?: string;
  /** Values from command-line flags. */
  flags?: ConfigOverrides;
}

const envNumber = (env: NodeJS.ProcessEnv, name: string): number | undefined => {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new DocSightError('BAD_CONFIG', `${name}=${raw} is not a number.`);
  return n;
};

function fromEnv(env: NodeJS.ProcessEnv): ConfigOverrides {
  const ocr: Partial<Config['ocr']> = {};
  const intake: Partial<Config['intake']> = {};
  const threads = envNumber(env, 'DOCSIGHT_OCR_THREADS');
  if (threads !== undefined) ocr.threads = threads;
  const workers = envNumber(env, 'DOCSIGHT_OCR_WORKERS');
  if (workers !== undefined) ocr.workers = workers;
  // 'int8' or 'float'; the schema rejects anything else.
  if (env.DOCSIGHT_OCR_PRECISION) ocr.precision = env.DOCSIGHT_OCR_PRECISION as Config['ocr']['precision'];
  const maxPixels = envNumber(env, 'DOCSIGHT_MAX_PIXELS');
  if (maxPixels !== undefined) intake.maxPixels = maxPixels;
  const maxPages = envNumber(env, 'DOCSIGHT_MAX_PAGES');
  if (maxPages !== undefined) intake.maxPages = maxPages;
  const pdfDpi = envNumber(env, 'DOCSIGHT_PDF_DPI');
  if (pdfDpi !== undefined) intake.pdfDpi = pdfDpi;
  const pdfPageTimeoutMs = envNumber(env, 'DOCSIGHT_PDF_PAGE_TIMEOUT_MS');
  if (pdfPageTimeoutMs !== undefined) intake.pdfPageTimeoutMs = pdfPageTimeoutMs;
  const pdfEngineMemoryMb = envNumber(env, 'DOCSIGHT_PDF_ENGINE_MEMORY_MB');
  if (pdfEngineMemoryMb !== undefined) intake.pdfEngineMemoryBytes = pdfEngineMemoryMb * 1024 * 1024;
  // The embedding model for hybrid search: a catalog name (qwen3-embedding-0.6b) or a GGUF path.
  const library: Partial<Config['library']> = env.DOCSIGHT_EMBEDDING_MODEL
    ? { embeddingModel: env.DOCSIGHT_EMBEDDING_MODEL }
    : {};
  const server: NonNullable<ConfigOverrides['server']> = {};
  if (env.DOCSIGHT_HOST) server.host = env.DOCSIGHT_HOST;
  const port = envNumber(env, 'DOCSIGHT_PORT');
  if (port !== undefined) server.port = port;
  const rateLimit = envNumber(env, 'DOCSIGHT_RATE_LIMIT_PER_MINUTE');
  if (rateLimit !== undefined) server.rateLimitPerMinute = rateLimit;
  const httpTimeout = envNumber(env, 'DOCSIGHT_HTTP_TIMEOUT_MS');
  if (httpTimeout !== undefined) server.requestTimeoutMs = httpTimeout;
  // Comma-separated: DOCSIGHT_REMOTE_IMAGE_HOSTS=images.example.com,*.cdn.example.com
  if (env.DOCSIGHT_REMOTE_IMAGE_HOSTS) {
    const allow = env.DOCSIGHT_REMOTE_IMAGE_HOSTS.split(',')
      .map((host) => host.trim())
      .filter(Boolean);
    server.remoteImages = { allow };
  }
  return { ocr, intake, library, understand: understandFromEnv(env), server };
}

/** The common engine settings as environment variables (containers, systemd units). */
function understandFromEnv(env: NodeJS.ProcessEnv): Partial<Config['understand']> {
  const understand: Record<string, unknown> = {};
  const text = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const strings: [string, keyof Config['understand']][] = [
    ['DOCSIGHT_BACKEND', 'backend'],
    ['DOCSIGHT_MODEL_PATH', 'modelPath'],
    ['DOCSIGHT_MMPROJ_PATH', 'mmprojPath'],
    ['DOCSIGHT_UPSTREAM_MODEL', 'upstreamModel'],
    ['DOCSIGHT_UPSTREAM_API_KEY', 'apiKey'],
  ];
  for (const [name, key] of strings) if (text(name) !== undefined) understand[key] = text(name);
  const numbers: [string, keyof Config['understand']][] = [
    ['DOCSIGHT_THREADS', 'threads'],
    ['DOCSIGHT_SLOTS', 'slots'],
    ['DOCSIGHT_CONTEXT_SIZE', 'contextSize'],
    ['DOCSIGHT_MAX_QUEUE', 'maxQueue'],
    ['DOCSIGHT_REQUEST_TIMEOUT_MS', 'requestTimeoutMs'],
  ];
  for (const [name, key] of numbers) {
    const n = envNumber(env, name);
    if (n !== undefined) understand[key] = n;
  }
  // Several upstreams, comma-separated: DOCSIGHT_UPSTREAM=http://gpu1:8080,http://gpu2:8080
  const upstreams = text('DOCSIGHT_UPSTREAM');
  if (upstreams !== undefined) understand.upstreams = upstreams.split(',').map((u) => u.trim());
  return understand as Partial<Config['understand']>;
}

function readConfigFile(path: string): ConfigOverrides {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DocSightError('BAD_CONFIG', `Cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as ConfigOverrides;
  } catch (err) {
    throw new DocSightError('BAD_CONFIG', `Config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

function merge(...layers: ConfigOverrides[]): ConfigOverrides {
  const out: ConfigOverrides = {};
  for (const layer of layers) {
    if (layer.home !== undefined) out.home = layer.home;
    if (layer.ocr) out.ocr = { ...out.ocr, ...layer.ocr };
    if (layer.intake) out.intake = { ...out.intake, ...layer.intake };
    if (layer.library) out.library = { ...out.library, ...layer.library };
    if (layer.understand) out.understand = { ...out.understand, ...layer.understand };
    if (layer.server) {
      // remoteImages is an object of its own: the env's host list keeps the file's maxBytes.
      const remoteImages = layer.server.remoteImages && {
        ...out.server?.remoteImages,
        ...layer.server.remoteImages,
      };
      out.server = { ...out.server, ...layer.server, ...(remoteImages ? { remoteImages } : {}) };
    }
  }
  return out;
}

/** Turns zod's issues into one message that names each bad setting and what it must be. */
function describeIssues(error: z.ZodError, source: string): string {
  const parts = error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  return `Invalid configuration (${source}): ${parts.join('; ')}`;
}

/**
 * Builds the validated configuration.
 *
 * @example
 *   const config = loadConfig({ flags: { ocr: { threads: 2 } } });
 *   config.ocr.threads; // 2
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const home = resolve(options.flags?.home ?? env.DOCSIGHT_HOME ?? join(homedir(), '.docsight'));
  const defaultFile = join(home, 'config.json');
  const file = options.configFile ?? (existsSync(defaultFile) ? defaultFile : undefined);
  const fileLayer = file ? readConfigFile(file) : {};
  const merged = merge({ home }, fileLayer, fromEnv(env), options.flags ?? {}, { home });
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    throw new DocSightError('BAD_CONFIG', describeIssues(parsed.error, file ?? 'flags and environment'));
  }
  return parsed.data;
}

/** A secret as printed: whether it is set, never its characters. */
export const maskSecret = (secret: string | undefined): string | undefined =>
  secret === undefined ? undefined : '******** (set)';

/** The configuration as printed at start-up, secrets masked. */
export function describeConfig(config: Config): string {
  const understand = { ...config.understand, apiKey: maskSecret(config.understand.apiKey) };
  return JSON.stringify({ ...config, understand }, null, 2);
}
