import { Command, CommanderError } from 'commander';
import { describeError, isDocSightError } from '../../errors.js';
import { registerEvalCommand } from './eval-command.js';
import { registerDocsCommand } from './docs-command.js';
import { registerIngestCommand } from './ingest-command.js';
import { registerJobsCommand } from './jobs-command.js';
import { registerSearchCommand } from './search-command.js';
import { registerOcrCommand } from './ocr-command.js';
import { registerModelsCommand } from './models-command.js';
import { registerModelFilesCommand } from './model-files-command.js';
import { registerAskCommand } from './ask-command.js';
import { registerChatCommand } from './chat-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerKeysCommand } from './keys-command.js';
import { registerConfigCommand } from './config-command.js';
import { printable } from './printable.js';

/**
 * The `docsight` command line. Each sub-command lives in its own file beside this one
 * and registers itself on the program; this file only wires them and maps errors to exit codes.
 */
export function buildProgram(): Command {
  const program = new Command('docsight')
    .description('Self-hosted document intelligence: read, find and understand documents on a CPU.')
    .option('--home <dir>', 'data folder (default: $DOCSIGHT_HOME or ~/.docsight)')
    .option('--config <file>', 'JSON configuration file (default: <home>/config.json)')
    .showHelpAfterError('(run docsight --help for usage)')
    .exitOverride();
  // Sub-commands: one line each.
  registerIngestCommand(program);
  registerSearchCommand(program);
  registerDocsCommand(program);
  registerJobsCommand(program);
  registerEvalCommand(program);
  registerOcrCommand(program);
  registerModelsCommand(program);
  registerModelFilesCommand(program);
  registerAskCommand(program);
  registerChatCommand(program);
  registerServeCommand(program);
  registerKeysCommand(program);
  registerConfigCommand(program);
  return program;
}

/** Runs the CLI and returns the process exit code; never throws. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" to commander; they already printed. `docsight` alone shows help.
      const shown = ['commander.helpDisplayed', 'commander.help', 'commander.version'];
      return shown.includes(err.code) ? 0 : err.exitCode || 2;
    }
    const prefix = isDocSightError(err) ? `error (${err.code})` : 'error';
    process.stderr.write(`docsight: ${prefix}: ${printable(describeError(err))}\n`);
    return 1;
  }
}
