import { describe, expect, it } from 'vitest';
import { addDocuments } from './ingest.js';
import { cancelJob, getJob, listJobs, parseJobState } from './jobs.js';
import { useAppsInTempHomes } from './test-support/app-in-temp-home.js';

const newApp = useAppsInTempHomes('docsight-app-jobs-');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('jobs', () => {
  it('lists queued jobs newest first, filters by state, and cancels one', async () => {
    const app = newApp();
    const { jobIds } = await addDocuments(app, [
      { name: 'a.txt', bytes: text('first') },
      { name: 'b.txt', bytes: text('second') },
    ]);
    expect((await listJobs(app)).map((j) => [j.documentName, j.state])).toEqual([
      ['b.txt', 'queued'],
      ['a.txt', 'queued'],
    ]);
    expect(await cancelJob(app, jobIds[0]!)).toMatchObject({ state: 'cancelled', documentName: 'a.txt' });
    expect((await getJob(app, jobIds[0]!)).state).toBe('cancelled');
    expect((await listJobs(app, { states: ['queued'] })).map((j) => j.documentName)).toEqual(['b.txt']);
    expect(await listJobs(app, { limit: 1 })).toHaveLength(1);
  });

  it('says NOT_FOUND for an unknown job and BAD_REQUEST for an unknown state', async () => {
    const app = newApp();
    await expect(getJob(app, 99)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'No job 99. See `docsight jobs`.',
    });
    await expect(cancelJob(app, 99)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(() => parseJobState('finished', '--state')).toThrow(
      '--state must be one of queued, running, done, failed, cancelled, not "finished".',
    );
  });
});
