import type { Command } from 'commander';
import { cancelJob, JOB_STATES, listJobs, parseJobState } from '../../app/jobs.js';
import type { JobRecord, JobState } from '../../store/library-store.js';
import { withDocSight } from './command-config.js';
import { positiveInteger } from './options.js';
import { runQueueWithProgress } from './queue-output.js';
import { printable } from './printable.js';

function jobLine(j: JobRecord): string {
  const pages = `${j.pagesDone}/${j.pagesTotal ?? '?'}`;
  const error = j.error ? `  ${j.errorCode}: ${j.error}` : '';
  return printable(
    `${String(j.id).padStart(5)}  ${j.state.padEnd(9)}  ${pages.padStart(9)} pages  try ${j.attempts}/${j.maxAttempts}  ${j.documentName ?? '(deleted)'}${error}`,
  );
}

/** `docsight jobs [list|run|cancel]`: the ingest queue. */
export function registerJobsCommand(program: Command): Command {
  const jobs = program
    .command('jobs')
    .description('The ingest queue: list jobs, run the queue, cancel a job.');
  jobs
    .command('list', { isDefault: true })
    .description('List jobs, newest first, with pages done/total and errors.')
    .option('--state <state>', `only jobs in this state (${JOB_STATES.join(', ')})`, (raw: string) =>
      parseJobState(raw, '--state'),
    )
    .option('--limit <n>', 'at most N jobs', positiveInteger('--limit'), 50)
    .option('--json', 'print JSON')
    .action((options: { state?: JobState; limit: number; json?: boolean }, command: Command) =>
      withDocSight(command, async (app) => {
        const list = await listJobs(app, {
          states: options.state ? [options.state] : undefined,
          limit: options.limit,
        });
        if (options.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        else process.stdout.write(list.length ? `${list.map(jobLine).join('\n')}\n` : 'No jobs.\n');
      }),
    );
  jobs
    .command('run')
    .description('Read and index every queued document now, then exit (the server does this continuously).')
    .action((_options: object, command: Command) =>
      withDocSight(command, async (app) => {
        if ((await runQueueWithProgress(app)).failed > 0) process.exitCode = 1;
      }),
    );
  jobs
    .command('cancel')
    .description('Cancel a queued or running job (a running one stops after its current page).')
    .argument('<id>', 'job id', positiveInteger('A job id', { hint: 'See `docsight jobs`.' }))
    .action((id: number, _options: object, command: Command) =>
      withDocSight(command, async (app) => {
        process.stdout.write(`${jobLine(await cancelJob(app, id))}\n`);
      }),
    );
  return jobs;
}
