import type { Command } from 'commander';
import { createDocSight, type DocSight, type DocSightOptions } from '../../app/docsight.js';
import { loadConfig, type Config, type ConfigOverrides } from '../../config/config.js';

/**
 * The configuration for a sub-command: the global `--home` / `--config` flags, plus the sub-command's own
 * flags (`--threads`, `--dpi`, …) as overrides, which win over the environment and the config file.
 *
 * @example
 *   .action((opts, command) => run(configFromGlobals(command, { ocr: { threads: opts.threads } })))
 */
export function configFromGlobals(command: Command, overrides: Omit<ConfigOverrides, 'home'> = {}): Config {
  const globals = command.optsWithGlobals<{ home?: string; config?: string }>();
  return loadConfig({ configFile: globals.config, flags: { ...overrides, home: globals.home } });
}

/**
 * Runs `use` with the application made from the command's configuration, and closes it after (whatever
 * `use` started: the library, models, the embedder).
 *
 * @example
 *   .action((options, command) => withDocSight(command, async (app) => print(await listJobs(app))))
 */
export async function withDocSight(
  command: Command,
  use: (app: DocSight) => Promise<void>,
  options: { overrides?: Omit<ConfigOverrides, 'home'> } & DocSightOptions = {},
): Promise<void> {
  const app = createDocSight(configFromGlobals(command, options.overrides), { ocrThread: options.ocrThread });
  try {
    await use(app);
  } finally {
    await app.close();
  }
}
