import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DocSightError, type ErrorCode } from '../errors.js';

/**
 * The parent's side of a child process that owns native code (the llama.cpp addon), so that a native
 * abort kills only the child. Requests are tagged with an id and answered by `done` or `error` messages
 * with that id (`piece` messages stream text before the answer); the child's side is
 * serveParentRequests(). The owner decides what to load and whether to restart: this client starts a
 * process when asked, fails the calls in flight when it dies, and runs requests one at a time.
 */

/** Asks the child for its peak resident memory; every worker answers it (see serveParentRequests). */
export type UsageRequest = { kind: 'usage'; id: number };

/** What a worker sends back: streamed text, then one answer or error per request id. */
export type FromWorker =
  | { kind: 'piece'; id: number; text: string }
  | { kind: 'done'; id: number; value: unknown }
  | { kind: 'error'; id: number; code: string; message: string };

export interface WorkerProcessClientOptions {
  /** The worker module as built, e.g. `new URL('./engine-worker.js', import.meta.url)`. */
  module: URL;
  /** What a call is told while no process runs, e.g. 'the engine process is not running'. */
  notRunning: string;
  /** Starts the process and loads the model unless that is done (the owner's idempotent start()). */
  ensureStarted: () => Promise<unknown>;
  /**
   * Called once when the running process dies, with how ('exited with code 1', 'was killed by
   * SIGKILL'); returns the error its unanswered calls fail with. It may start a new process.
   */
  onExit: (how: string) => Error;
}

interface Pending {
  onPiece?: (text: string) => void;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** The worker's entry: from sources (tests, tsx) the .ts file, which needs tsx's loader; dist/ is plain JS. */
function workerEntry(module: URL): { path: string; execArgv: string[] } {
  const fromSources = import.meta.url.endsWith('.ts');
  const url = fromSources ? new URL(module.href.replace(/\.js$/, '.ts')) : module;
  return { path: fileURLToPath(url), execArgv: fromSources ? ['--import', 'tsx'] : [] };
}

/**
 * @example
 *   const worker = new WorkerProcessClient<ToWorker>({ module, notRunning, ensureStarted, onExit });
 *   worker.start();
 *   const info = await worker.call<{ loadMs: number }>({ kind: 'load', id: 0, options });
 *   const answer = await worker.request<string>({ kind: 'systemInfo', id: 0 }); // after earlier requests
 */
export class WorkerProcessClient<Request extends { kind: string }> {
  private child?: ChildProcess;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: WorkerProcessClientOptions) {}

  /** The running process's id (tests use it to check restarts). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Whether a process runs and can be sent requests. */
  get connected(): boolean {
    return this.child?.connected === true;
  }

  /** Starts a new process; returns it, to name it in stop(). */
  start(): ChildProcess {
    const entry = workerEntry(this.options.module);
    const child = fork(entry.path, [], {
      execArgv: entry.execArgv,
      serialization: 'advanced', // Buffers and Float32Arrays cross as bytes, not JSON arrays
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    child.on('message', (msg: FromWorker) => this.onMessage(msg));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    return child;
  }

  /** Stops `child` if it is still the running process (one that failed to load). */
  stop(child: ChildProcess): void {
    if (this.child === child) child.kill();
  }

  /** Sends a request and resolves with its answer; the `id` given is replaced by a fresh one. */
  call<T>(
    msg: Extract<Request, { id: number }> | UsageRequest,
    onPiece?: (text: string) => void,
  ): Promise<T> {
    const child = this.child;
    if (!child?.connected) return Promise.reject(new DocSightError('ENGINE_FAILED', this.options.notRunning));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { onPiece, resolve: resolve as (v: unknown) => void, reject });
      // A process that died a moment ago still looks connected until its exit is seen: the write then fails
      // (EPIPE) and must fail this call, not surface as an uncaught 'error' event of the child.
      child.send({ ...msg, id }, (err) => {
        if (!err || !this.pending.has(id)) return;
        this.pending.delete(id);
        reject(new DocSightError('ENGINE_FAILED', this.options.notRunning, { cause: err }));
      });
    });
  }

  /** Sends a message that gets no answer (e.g. abort), if a process runs. */
  notify(msg: Exclude<Request, { id: number }>): void {
    // Best effort: a message to a process that is going away has nothing left to do.
    this.child?.send(msg, () => undefined);
  }

  /** Runs `fn` after every earlier one has finished: one model, one request at a time. */
  serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => {});
    return run;
  }

  /** Sends a request in its turn (see serialize), once the process is started and loaded. */
  request<T>(msg: Extract<Request, { id: number }> | UsageRequest): Promise<T> {
    return this.serialize(async () => {
      await this.options.ensureStarted();
      return this.call<T>(msg);
    });
  }

  /** Peak resident memory of the process (the model, caches and buffers), in kB. */
  async peakRssKb(): Promise<number> {
    return (await this.request<{ peakRssKb: number }>({ kind: 'usage', id: 0 })).peakRssKb;
  }

  /** Stops the process and waits for it to end; calls in flight fail with the onExit error. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill();
    });
  }

  private onMessage(msg: FromWorker): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.kind === 'piece') {
      p.onPiece?.(msg.text);
      return;
    }
    this.pending.delete(msg.id);
    if (msg.kind === 'done') p.resolve(msg.value);
    else p.reject(new DocSightError(msg.code as ErrorCode, msg.message));
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    // Taken before onExit, which may start a new process whose calls must not fail with these.
    const unanswered = [...this.pending.values()];
    this.pending.clear();
    const err = this.options.onExit(signal ? `was killed by ${signal}` : `exited with code ${code}`);
    for (const p of unanswered) p.reject(err);
  }
}
