import { isIP } from 'node:net';
import type { Command } from 'commander';
import { createDocSight } from '../../app/docsight.js';
import { startIngestion } from '../../app/ingest.js';
import { keysRequired } from '../../app/keys.js';
import { loadModelInBackground } from '../../app/model-loading.js';
import { describeConfig } from '../../config/config.js';
import { DocSightError, describeError } from '../../errors.js';
import { createHttpServer } from '../http/server.js';
import { configFromGlobals } from './command-config.js';
import { positiveInteger } from './options.js';
import { addEngineFlags, engineOverrides, type EngineFlags } from './engine-flags.js';

interface ServeFlags extends EngineFlags {
  host?: string;
  port?: number;
}

/** Loopback addresses only this machine can reach; anything else is reachable from the network. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * `docsight serve` (and `npm start`): the HTTP API on the embedded default. Up before any model loads; prints
 * the URL, the effective configuration and what is missing with the command that fixes it. Reads queued
 * documents (uploads, and jobs queued by the CLI) for as long as it runs. SIGTERM/SIGINT stop accepting
 * requests, put running jobs back in the queue, let requests in flight finish (for a while), close the
 * engines and exit 0.
 */
export function registerServeCommand(program: Command): void {
  const serve = program
    .command('serve')
    .description('Run the HTTP API (OpenAI-compatible chat, documents, search) on this machine.')
    .option('--host <address>', 'address to listen on (default 127.0.0.1)')
    .option(
      '--port <n>',
      'TCP port (default 8080; 0 picks a free one)',
      positiveInteger('--port', { min: 0, max: 65_535 }),
    );
  addEngineFlags(serve).action(async (flags: ServeFlags, command: Command) => {
    const config = configFromGlobals(command, {
      understand: engineOverrides(flags),
      server: {
        ...(flags.host ? { host: flags.host } : {}),
        ...(flags.port !== undefined ? { port: flags.port } : {}),
      },
    });
    const app = createDocSight(config);
    if (!isLoopbackHost(config.server.host) && !(await keysRequired(app))) {
      await app.close();
      throw new DocSightError(
        'BAD_CONFIG',
        `Refusing to listen on ${config.server.host} without API keys: anyone on the network could read the library. ` +
          'Create one first (`docsight keys create --admin`, or --collection NAME), or listen on 127.0.0.1 (the default).',
      );
    }
    // Jobs left running by a process that died resume here; running jobs go back to the queue on stop.
    const ingestion = await startIngestion(app);
    const server = createHttpServer(app, { ingestion });
    await server.listen({ host: config.server.host, port: config.server.port });
    const address = server.server.address();
    const url = `http://${config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host}:${
      typeof address === 'object' && address ? address.port : config.server.port
    }`;
    process.stderr.write(`DocSight listening on ${url}  (WebUI: ${url}/, API docs: ${url}/docs)\n`);
    process.stderr.write(`Configuration:\n${describeConfig(config)}\n`);
    try {
      app.engine();
      // The model loads while the server already answers; /v1/models shows loading, ready or failed (why).
      loadModelInBackground(app);
    } catch (err) {
      process.stderr.write(`Vision-language model not available: ${describeError(err)}\n`);
    }

    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        process.stderr.write(`${signal}: stopping (finishing requests in flight)…\n`);
        // In-flight answers get a while to finish; then the engines close and stop whatever still runs.
        const force = setTimeout(() => void app.close(), 10_000);
        force.unref();
        // Ingestion stops first: its running jobs go back to the queue and their event streams end.
        void ingestion
          .stop()
          .then(() => server.close())
          .then(() => app.close())
          .finally(() => {
            clearTimeout(force);
            resolve();
          });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
  });
}
