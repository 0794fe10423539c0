import { afterEach, describe, expect, it } from 'vitest';
import type { ToEchoWorker } from './test-support/echo-worker.js';
import { WorkerProcessClient } from './worker-process-client.js';

// A real child process (test-support/echo-worker.ts), no native code: the protocol and the crash path.
describe('WorkerProcessClient', () => {
  let client: WorkerProcessClient<ToEchoWorker> | undefined;
  const exits: string[] = [];
  afterEach(async () => {
    await client?.close();
    exits.length = 0;
  });

  const open = (): WorkerProcessClient<ToEchoWorker> => {
    const c = new WorkerProcessClient<ToEchoWorker>({
      module: new URL('./test-support/echo-worker.js', import.meta.url),
      notRunning: 'the echo process is not running',
      ensureStarted: async () => {
        if (!c.connected) c.start();
      },
      onExit: (how) => {
        exits.push(how);
        return new Error(`echo ${how}`);
      },
    });
    return (client = c);
  };

  it('answers each call by its id, streams pieces to it and keeps error codes', async () => {
    const c = open();
    c.start();
    const pieces: string[] = [];
    const [a, b, n] = await Promise.all([
      c.call<string>({ kind: 'echo', id: 0, text: 'a' }),
      c.call<string>({ kind: 'echo', id: 0, text: 'b' }),
      c.call<number>({ kind: 'stream', id: 0, pieces: ['x', 'y'] }, (t) => pieces.push(t)),
    ]);
    expect([a, b, n, pieces]).toEqual(['a', 'b', 2, ['x', 'y']]);
    await expect(c.call({ kind: 'fail', id: 0 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'asked to fail',
    });
    c.notify({ kind: 'notice', text: 'abort' });
    expect(await c.call({ kind: 'notices', id: 0 })).toEqual(['abort']);
    expect(await c.peakRssKb()).toBeGreaterThan(0);
  });

  it("fails the calls in flight with the owner's error when the process dies, then refuses until restarted", async () => {
    const c = open();
    c.start();
    const pid = c.pid;
    await expect(c.call({ kind: 'exit', id: 0, code: 3 })).rejects.toThrow('echo exited with code 3');
    expect(exits).toEqual(['exited with code 3']);
    expect(c.pid).toBeUndefined();
    await expect(c.call({ kind: 'echo', id: 0, text: 'a' })).rejects.toMatchObject({
      code: 'ENGINE_FAILED',
      message: 'the echo process is not running',
    });
    expect(await c.request<string>({ kind: 'echo', id: 0, text: 'again' })).toBe('again');
    expect(c.pid).not.toBe(pid);
  });

  it('runs requests one at a time, in order, even when one fails', async () => {
    const c = open();
    const order: string[] = [];
    const slow = c.serialize(async () => {
      await new Promise((r) => setTimeout(r, 50));
      order.push('first');
      throw new Error('first failed');
    });
    const second = c.serialize(async () => {
      order.push('second');
    });
    await expect(slow).rejects.toThrow('first failed');
    await second;
    expect(order).toEqual(['first', 'second']);
  });

  it('close() ends the process; a kill shows as a signal', async () => {
    const c = open();
    c.start();
    await c.close();
    expect(c.connected).toBe(false);
    expect(exits).toEqual(['was killed by SIGTERM']);
  });
});
