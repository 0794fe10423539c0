/**
 * A one-line progress bar for long CLI jobs, drawn on stderr so stdout stays clean for the results.
 * It draws only on a terminal: piped or logged output gets no carriage-return noise.
 */

/** The stream a bar draws on; `process.stderr` in the CLI. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBar {
  /** Shows `done` of `total`; draws nothing for single-step work or when the stream is not a terminal. */
  update(done: number, total: number): void;
  /** Erases the bar, leaving the terminal line as it was. */
  finish(): void;
}

/**
 * The text of one bar, fitted to `columns`.
 *
 * @example
 *   renderProgressLine('scan.pdf', 3, 10, 40); // 'scan.pdf [#######...............]   3/10'
 */
export function renderProgressLine(label: string, done: number, total: number, columns: number): string {
  const count = `${String(done).padStart(String(total).length)}/${total}`;
  // Room for the label, the brackets, two spaces and the count; the bar takes what is left (8–30 cells).
  const barWidth = Math.max(8, Math.min(30, columns - count.length - 5 - Math.min(label.length, 30)));
  const filled = total > 0 ? Math.round((done / total) * barWidth) : 0;
  const room = Math.max(0, columns - barWidth - count.length - 5);
  const shown = label.length > room ? `…${label.slice(label.length - room + 1)}` : label;
  return `${shown} [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]  ${count}`;
}

/**
 * A progress bar on `stream`.
 *
 * @example
 *   const bar = createProgressBar(process.stderr, 'scan.pdf');
 *   bar.update(1, 10); // …
 *   bar.finish();
 */
export function createProgressBar(stream: ProgressStream, label: string): ProgressBar {
  let drawn = false;
  return {
    update(done, total) {
      if (!stream.isTTY || total <= 1) return;
      stream.write(`\r\x1b[K${renderProgressLine(label, done, total, stream.columns ?? 80)}`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
