import { describe, expect, it } from 'vitest';
import { createRequestScheduler } from './request-scheduler.js';

/** A task that finishes when told to, or rejects when its signal fires — as a model engine does. */
function controllableTask() {
  let finish!: (value: string) => void;
  let started = false;
  const task = (signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      started = true;
      finish = resolve;
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  return { task, finish: (v: string) => finish(v), started: () => started };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('createRequestScheduler', () => {
  it('runs at most `concurrency` tasks, the rest in arrival order', async () => {
    const scheduler = createRequestScheduler({ concurrency: 1, maxQueue: 5, timeoutMs: 0 });
    const a = controllableTask();
    const b = controllableTask();
    const order: string[] = [];
    const pa = scheduler.run(a.task).then((v) => order.push(v));
    const pb = scheduler.run(b.task).then((v) => order.push(v));
    await tick();
    expect(a.started()).toBe(true);
    expect(b.started()).toBe(false);
    expect(scheduler.stats()).toMatchObject({ running: 1, queued: 1 });
    a.finish('a');
    await pa;
    await tick();
    expect(b.started()).toBe(true);
    b.finish('b');
    await pb;
    expect(order).toEqual(['a', 'b']);
    expect(scheduler.stats()).toMatchObject({ running: 0, queued: 0, completed: 2 });
  });

  it('refuses work beyond the queue bound with BUSY', async () => {
    const scheduler = createRequestScheduler({ concurrency: 1, maxQueue: 1, timeoutMs: 0 });
    const a = controllableTask();
    const running = scheduler.run(a.task);
    const waiting = scheduler.run(controllableTask().task);
    await expect(scheduler.run(controllableTask().task)).rejects.toMatchObject({ code: 'BUSY' });
    expect(scheduler.stats().rejected).toBe(1);
    a.finish('done');
    await running;
    void waiting.catch(() => undefined);
  });

  it('aborts a running task through its signal when the caller cancels', async () => {
    const scheduler = createRequestScheduler({ concurrency: 1, maxQueue: 1, timeoutMs: 0 });
    const controller = new AbortController();
    const run = scheduler.run(controllableTask().task, { signal: controller.signal });
    await tick();
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(scheduler.stats()).toMatchObject({ running: 0, failed: 0, cancelled: 1 });
  });

  it('drops a cancelled request from the queue without running it', async () => {
    const scheduler = createRequestScheduler({ concurrency: 1, maxQueue: 2, timeoutMs: 0 });
    const a = controllableTask();
    const b = controllableTask();
    const running = scheduler.run(a.task);
    const controller = new AbortController();
    const waiting = scheduler.run(b.task, { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
    a.finish('a');
    await running;
    expect(b.started()).toBe(false);
    expect(scheduler.stats().queued).toBe(0);
  });

  it('stops a task that runs past its timeout', async () => {
    const scheduler = createRequestScheduler({ concurrency: 2, maxQueue: 0, timeoutMs: 20 });
    await expect(scheduler.run(controllableTask().task)).rejects.toMatchObject({ code: 'TIMEOUT' });
    // A task that ignores its signal still reports the timeout rather than a late success.
    const stubborn = (_signal: AbortSignal) => new Promise<string>((r) => setTimeout(() => r('late'), 60));
    await expect(scheduler.run(stubborn)).rejects.toMatchObject({ code: 'TIMEOUT' });
  });
});
