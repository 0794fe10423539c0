import { describe, expect, it } from 'vitest';
import { createProgressBar, renderProgressLine } from './progress.js';

/** A stream that records what is written to it. */
function recorder(isTTY: boolean): {
  isTTY: boolean;
  columns: number;
  written: string[];
  write(s: string): void;
} {
  return {
    isTTY,
    columns: 60,
    written: [],
    write(s: string) {
      this.written.push(s);
    },
  };
}

describe('renderProgressLine', () => {
  it('fills the bar in proportion and right-aligns the count', () => {
    // 40 columns: the 8-character name, a 22-cell bar, the count.
    expect(renderProgressLine('scan.pdf', 3, 10, 40)).toBe(
      `scan.pdf [${'#'.repeat(7)}${'.'.repeat(15)}]   3/10`,
    );
    expect(renderProgressLine('scan.pdf', 10, 10, 40)).toBe(`scan.pdf [${'#'.repeat(22)}]  10/10`);
    expect(renderProgressLine('scan.pdf', 0, 10, 40)).toHaveLength(40);
  });

  it('never grows past the terminal width, shortening long names from the left', () => {
    const line = renderProgressLine('/very/long/path/to/a/folder/of/scans/2024/contract.pdf', 1, 500, 50);
    expect(line.length).toBeLessThanOrEqual(50);
    expect(line).toMatch(/^….*contract\.pdf \[/);
  });
});

describe('createProgressBar', () => {
  it('draws on a terminal and erases itself when finished', () => {
    const stream = recorder(true);
    const bar = createProgressBar(stream, 'a.pdf');
    bar.update(1, 2);
    bar.update(2, 2);
    bar.finish();
    expect(stream.written).toHaveLength(3);
    expect(stream.written[0]).toContain('a.pdf [');
    expect(stream.written[1]).toContain('2/2');
    expect(stream.written[2]).toBe('\r\x1b[K');
  });

  it('stays silent when the stream is not a terminal, or for a single page', () => {
    const piped = recorder(false);
    const pipedBar = createProgressBar(piped, 'a.pdf');
    pipedBar.update(1, 5);
    pipedBar.finish();
    expect(piped.written).toEqual([]);
    const tty = recorder(true);
    const single = createProgressBar(tty, 'photo.jpg');
    single.update(1, 1);
    single.finish();
    expect(tty.written).toEqual([]);
  });
});
