import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes each page's ground-truth and predicted text side by side (`<id>.gt.txt`, `<id>.pred.txt`), for
 * diffing what the engine got wrong.
 *
 * @example
 *   writePredictions('predictions', pages, evaluation.perPage);
 */
export function writePredictions(
  dir: string,
  pages: readonly { id: string; text: string }[],
  results: readonly { id: string; predicted: string }[],
): void {
  mkdirSync(dir, { recursive: true });
  const gt = new Map(pages.map((p) => [p.id, p.text]));
  for (const r of results) {
    writeFileSync(join(dir, `${r.id}.gt.txt`), `${gt.get(r.id) ?? ''}\n`);
    writeFileSync(join(dir, `${r.id}.pred.txt`), `${r.predicted}\n`);
  }
}
