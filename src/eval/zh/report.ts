import { fixed3, formatTable } from '../table.js';
import type { ZhEvaluation, ZhScores } from './evaluate-zh.js';

/** The table of `docsight eval ocr-zh`: one row per degradation, then the overall row. */
export function formatZhReport(result: ZhEvaluation, info: { fonts: string[]; threads: number }): string {
  const row = (name: string, s: ZhScores) => [
    name,
    String(s.pages),
    fixed3(s.char_accuracy),
    fixed3(s.char_f1),
    fixed3(s.cer),
    s.seconds_per_page.toFixed(2),
    s.cpu_seconds_per_page.toFixed(2),
  ];
  const rows = Object.entries(result.byDegradation).map(([name, s]) => row(name, s));
  rows.push(row('overall', result.overall));
  return (
    `Chinese test set (fonts: ${info.fonts.join(', ')}; ${info.threads} thread(s))\n` +
    formatTable(['degradation', 'pages', 'char accuracy', 'char F1', 'CER', 's/page', 'CPU s/page'], rows)
  );
}
