import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DocSightError } from '../errors.js';

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
        /** Line crops recognised per model call. */
        batchSize: z.number().int().min(1).max(256).default(16),
        /** Long side, in pixels, the page is scaled to for text detection. */
        detectMaxSide: z.number().int().min(320).max(8000).default(1920),
        /** Lines recognised with a lower mean confidence are dropped. */
        minConfidence: z.number().min(0).max(1).default(0.5),
      })
      .strict()
      .default({ threads: 1, batchSize: 16, detectMaxSide: 1920, minConfidence: 0.5 }),
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
      })
      .strict()
      .default({ maxPixels: 100_000_000, maxPages: 2000, pdfDpi: 300, maxFileBytes: 512 * 1024 * 1024 }),
    library: z
      .object({
        /** Documents ingested at once (each OCR'd page holds a core: 1 per core is plenty). */
        concurrency: z.number().int().min(1).max(64).default(1),
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
      })
      .strict()
      .default({ concurrency: 1, maxAttempts: 3, retryBaseMs: 2000, chunkChars: 1500, pageImageDpi: 110 }),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

/** Everything a caller may override; nested objects are merged, not replaced. */
export type ConfigOverrides = {
  home?: string;
  ocr?: Partial<Config['ocr']>;
  intake?: Partial<Config['intake']>;
  library?: Partial<Config['library']>;
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
  const maxPixels = envNumber(env, 'DOCSIGHT_MAX_PIXELS');
  if (maxPixels !== undefined) intake.maxPixels = maxPixels;
  const maxPages = envNumber(env, 'DOCSIGHT_MAX_PAGES');
  if (maxPages !== undefined) intake.maxPages = maxPages;
  const pdfDpi = envNumber(env, 'DOCSIGHT_PDF_DPI');
  if (pdfDpi !== undefined) intake.pdfDpi = pdfDpi;
  return { ocr, intake };
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

/** The configuration as printed at start-up (no secrets yet; mask them here when they come). */
export function describeConfig(config: Config): string {
  return JSON.stringify(config, null, 2);
}
