import type { Command } from 'commander';
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
