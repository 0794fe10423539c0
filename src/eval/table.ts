/**
 * Formats rows as a Markdown table with padded columns: readable in a terminal, pastable into README.md.
 *
 * @example
 *   formatTable(['metric', 'value'], [['f1', '0.912']]);
 *   // | metric | value |
 *   // |--------|-------|
 *   // | f1     | 0.912 |
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${widths.map((w, i) => (cells[i] ?? '').padEnd(w)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** A ratio as a fixed 3-decimal string ("0.912"), the precision the tables report. */
export function fixed3(x: number): string {
  return x.toFixed(3);
}
