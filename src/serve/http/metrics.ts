import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DocSight } from '../../app/docsight.js';
import type { Ingestion } from '../../app/ingest.js';

/** The server's Prometheus metrics, in a registry of its own (tests run several servers in one process). */
export interface ServerMetrics {
  registry: Registry;
  /** One finished generation: time to its first text and its decode rate. */
  observeGeneration(sample: { firstTextMs?: number; completionTokens: number; decodeMs?: number }): void;
}

/**
 * Creates the metrics and the hooks that feed the request histogram (labelled by route template, never the raw
 * URL: ids in paths would make one series per document). Gauges that mirror application state (queue depth,
 * image-state cache) are read when scraped.
 */
export function createServerMetrics(
  server: FastifyInstance,
  app: DocSight,
  ingestion?: Pick<Ingestion, 'events'>,
): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template and status (streams: until the last byte)',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 30, 120, 600],
    registers: [registry],
  });
  const firstToken = new Histogram({
    name: 'docsight_generation_time_to_first_token_seconds',
    help: 'Time from a generation request to its first text (image encoding included)',
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const tokensPerSecond = new Histogram({
    name: 'docsight_generation_tokens_per_second',
    help: 'Decode rate of finished generations, tokens per second',
    buckets: [1, 2, 5, 10, 15, 20, 30, 50, 100],
    registers: [registry],
  });
  new Gauge({
    name: 'docsight_ingest_queue_depth',
    help: 'Ingest jobs queued or running',
    registers: [registry],
    async collect() {
      const stats = await app.library().store.stats();
      this.set(stats.queuedJobs + stats.runningJobs);
    },
  });
  const cacheStats = async () => (await app.imageStateCache().catch(() => undefined))?.stats();
  new Gauge({
    name: 'docsight_image_state_cache_hits',
    help: 'Image-state cache hits since start (a follow-up that skipped the vision encoder)',
    registers: [registry],
    async collect() {
      this.set((await cacheStats())?.hits ?? 0);
    },
  });
  new Gauge({
    name: 'docsight_image_state_cache_misses',
    help: 'Image-state cache misses since start',
    registers: [registry],
    async collect() {
      this.set((await cacheStats())?.misses ?? 0);
    },
  });
  const ingestedPages = new Counter({
    name: 'docsight_ingested_pages_total',
    help: 'Pages read and indexed',
    registers: [registry],
  });
  const jobFailures = new Counter({
    name: 'docsight_ingest_job_failures_total',
    help: 'Ingest jobs that failed for good',
    registers: [registry],
  });

  const ocrSecondsPerPage = new Histogram({
    name: 'docsight_ocr_seconds_per_page',
    help: 'Wall time of OCR for one page, waiting for a free OCR engine included',
    buckets: [0.25, 0.5, 1, 2, 4, 8, 16, 32],
    registers: [registry],
  });
  const stopOcrTimings = app.onOcrPage((seconds) => ocrSecondsPerPage.observe(seconds));
  server.addHook('onClose', async () => stopOcrTimings());

  // Pages written, from the ingestion this process runs: progress reports pages done per job, so count the steps.
  const pagesSeen = new Map<number, number>();
  ingestion?.events.on('progress', (p) => {
    const before = pagesSeen.get(p.jobId);
    if (before !== undefined && p.pagesDone > before) ingestedPages.inc(p.pagesDone - before);
    pagesSeen.set(p.jobId, p.pagesDone);
  });
  ingestion?.events.on('job', (e) => {
    pagesSeen.delete(e.jobId);
    if (e.state === 'failed') jobFailures.inc();
  });

  server.addHook('onResponse', async (request, reply) => {
    requestDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
  server.get('/metrics', async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );

  return {
    registry,
    observeGeneration({ firstTextMs, completionTokens, decodeMs }) {
      if (firstTextMs !== undefined) firstToken.observe(firstTextMs / 1000);
      if (decodeMs && completionTokens > 1) tokensPerSecond.observe(completionTokens / (decodeMs / 1000));
    },
  };
}
