import { spawn } from 'node:child_process';

/** What a watched child printed and how it ended. */
export interface WatchedRun {
  /** Its stdout JSON lines, parsed, each with the milliseconds since the previous line (`gapMs`). */
  lines: (Record<string, unknown> & { gapMs: number })[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Set when the child printed nothing for `silenceMs` and was killed. */
  stalled: boolean;
}

/**
 * Runs `node --import tsx <script> ...args` and collects its JSON lines; a child that prints nothing for
 * `silenceMs` is killed (SIGKILL) and reported `stalled`, so a hang fails the test quickly instead of at
 * the test's own time-out, with the last line saying where it stopped.
 *
 * @example
 *   const run = await watchChild(CHILD, [home], { silenceMs: 25_000 });
 */
export function watchChild(
  script: string,
  args: string[],
  options: { silenceMs: number },
): Promise<WatchedRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: WatchedRun['lines'] = [];
  let stderr = '';
  let buffered = '';
  let last = performance.now();
  let stalled = false;
  const watchdog = setInterval(() => {
    if (performance.now() - last > options.silenceMs) {
      stalled = true;
      child.kill('SIGKILL');
    }
  }, 500);
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let end: number;
    while ((end = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      const now = performance.now();
      try {
        lines.push({ ...(JSON.parse(line) as Record<string, unknown>), gapMs: Math.round(now - last) });
      } catch {
        // Not one of ours (a library's log line): ignored.
      }
      last = now;
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      clearInterval(watchdog);
      resolve({ lines, code, signal, stderr, stalled });
    }),
  );
}
