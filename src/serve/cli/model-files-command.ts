import type { Command } from 'commander';
import { DEFAULT_MODEL } from '../../models/catalog.js';
import { listModels, pullModel, removeModel } from '../../app/models.js';
import { withDocSight } from './command-config.js';
import { modelsCommand } from './models-command.js';
import { createProgressBar } from './progress.js';

const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(2)} GB`;

/**
 * `docsight models pull|list|rm`: the real Qwen3-VL weights, downloaded on the user's command from the
 * Hugging Face hub (or the mirror in $HF_ENDPOINT; $HTTPS_PROXY is honoured) at a pinned revision, with resume
 * and sha256 verification. Registers on `models`, creating it if no other file did.
 */
export function registerModelFilesCommand(program: Command): void {
  const models = modelsCommand(program);

  models
    .command('pull')
    .description(`Download a model (default ${DEFAULT_MODEL}); an interrupted download resumes.`)
    .argument('[name]', 'model name from `docsight models list`', DEFAULT_MODEL)
    .action((name: string, _opts: unknown, command: Command) =>
      withDocSight(command, async (app) => {
        let bar: ReturnType<typeof createProgressBar> | undefined;
        let current = '';
        let lastLogged = -1;
        const paths = await pullModel(app, name, {
          onProgress: (file, p) => {
            if (file !== current) {
              bar?.finish();
              current = file;
              bar = createProgressBar(process.stderr, `${file} (MB)`);
              process.stderr.write(`${p.resumed ? 'resuming' : 'downloading'} ${file}\n`);
            }
            const total = p.total ?? p.received;
            bar!.update(Math.floor(p.received / 1e6), Math.max(1, Math.floor(total / 1e6)));
            // Logs and CI have no terminal to draw a bar on: a line every 10 % instead.
            const tenth = Math.floor((p.received / Math.max(1, total)) * 10);
            if (!process.stderr.isTTY && tenth !== lastLogged) {
              lastLogged = tenth;
              process.stderr.write(`  ${file}: ${tenth * 10} % of ${gb(total)}\n`);
            }
          },
        });
        bar?.finish();
        process.stdout.write(paths.map((p) => `${p}\n`).join(''));
      }),
    );

  models
    .command('list')
    .description('Show the known models and what of each is downloaded.')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, command: Command) =>
      withDocSight(command, async (app) => {
        const rows = await listModels(app);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(rows)}\n`);
          return;
        }
        for (const row of rows) {
          const size =
            row.state === 'partial' ? `${gb(row.bytes)} of ${gb(row.totalBytes)}` : gb(row.totalBytes);
          process.stdout.write(`${row.name}\t${row.state}\t${size}\t${row.description}\n`);
        }
      }),
    );

  models
    .command('rm')
    .description('Delete a downloaded model (and any partial download of it).')
    .argument('<name>', 'model name')
    .action((name: string, _opts: unknown, command: Command) =>
      withDocSight(command, async (app) => {
        const removed = await removeModel(app, name);
        process.stdout.write(removed ? `removed ${name}\n` : `${name} was not downloaded\n`);
      }),
    );
}
