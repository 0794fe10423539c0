import type { Command } from 'commander';
import { configSettings, effectiveConfig } from '../../app/config.js';
import { withDocSight } from './command-config.js';

/**
 * `docsight config [--json]`: the effective configuration (defaults, config file, environment, flags),
 * secrets masked — what a bug report should include, and what the server prints at start-up.
 */
export function registerConfigCommand(program: Command): Command {
  return program
    .command('config')
    .description('Print the effective configuration (file, environment and defaults merged; secrets masked).')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }, command: Command) =>
      withDocSight(command, async (app) => {
        if (options.json) {
          process.stdout.write(`${JSON.stringify(effectiveConfig(app), null, 2)}\n`);
          return;
        }
        const lines = configSettings(app).map((s) => `${s.name} = ${JSON.stringify(s.value)}`);
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );
}
