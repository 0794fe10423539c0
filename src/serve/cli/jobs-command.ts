import type { Command } from 'commander';
import { DocSightError } from '../../errors.js';
import type { JobRecord, JobState } from '../../store/library-store.js';
import { openLibrary } from '../../store/library.js';
import { configFromGlobals } from './command-config.js';
import { drainIngestQueue } from './ingest-command.js';
import { printable } from './printable.js';

const STATES: JobState[] = ['queued', 'running', 'done', 'failed', 'cancelled'];

function jobLine(j: JobRecord): string {
  const pages = `${j.pagesDone}/${j.pagesTotal ?? '?'}`;
  const error = j.error ? `  ${j.errorCode}: ${j.error}` : '';
  // The name and the error (which quotes it) come from outside: escaped for the terminal.
  return printable(
    `${String(j.id).padStart(5)}  ${j.state.padEnd(9)}  ${pages.padStart(9)} pages  try ${j.attempts}/${j.maxAttempts}  ${j.documentName ?? '(deleted)'}${error}`,
  );
}

function jobId(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new DocSightError('BAD_REQUEST', `Job ids are whole numbers, not "${raw}".`);
  return n;
}

/** `docsight jobs [list|run|cancel]`: the ingest queue. */
export function registerJobsCommand(program: Command): Command {
  const jobs = program
    .command('jobs')
    .description('The ingest queue: list jobs, run the queue, cancel a job.');
  jobs
    .command('list', { isDefault: true })
    .description('List jobs, newest first, with pages done/total and errors.')
    .option('--state <state>', `only jobs in this state (${STATES.join(', ')})`)
    .option('--limit <n>', 'at most N jobs', '50')
    .option('--json', 'print JSON')
    .action(async (options: { state?: string; limit: string; json?: boolean }, command: Command) => {
      if (options.state !== undefined && !STATES.includes(options.state as JobState)) {
        throw new DocSightError(
          'BAD_REQUEST',
          `--state must be one of ${STATES.join(', ')}, not "${options.state}".`,
        );
      }
      const library = openLibrary(configFromGlobals(command).home);
      try {
        const list = await library.store.listJobs({
          states: options.state ? [options.state as JobState] : undefined,
          limit: Number(options.limit) || 50,
        });
        if (options.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        else process.stdout.write(list.length ? `${list.map(jobLine).join('\n')}\n` : 'No jobs.\n');
      } finally {
        await library.close();
      }
    });
  jobs
    .command('run')
    .description('Read and index every queued document now, then exit (the server does this continuously).')
    .action(async (_options: object, command: Command) => {
      const config = configFromGlobals(command);
      const library = openLibrary(config.home);
      try {
        if ((await drainIngestQueue(library, config)) > 0) process.exitCode = 1;
      } finally {
        await library.close();
      }
    });
  jobs
    .command('cancel')
    .description('Cancel a queued or running job (a running one stops after its current page).')
    .argument('<id>', 'job id', jobId)
    .action(async (id: number, _options: object, command: Command) => {
      const library = openLibrary(configFromGlobals(command).home);
      try {
        const job = await library.store.cancelJob(id);
        if (!job) throw new DocSightError('NOT_FOUND', `No job ${id}. See \`docsight jobs\`.`);
        process.stdout.write(`${jobLine(job)}\n`);
      } finally {
        await library.close();
      }
    });
  return jobs;
}
