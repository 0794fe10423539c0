/**
 * `npm run bench`: runs every benchmark in bench/ (each `bench/<name>.ts` other than this file) one after
 * another, each in its own process, and prints their tables. Helpers under bench/lib/ are not benchmarks.
 * Exits non-zero if any benchmark failed, after running the rest.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const benches = readdirSync(here)
  .filter((name) => name.endsWith('.ts') && name !== 'run.ts' && !name.endsWith('.test.ts'))
  .sort();

const failed: string[] = [];
for (const name of benches) {
  process.stdout.write(`\n## bench/${name}\n\n`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(here, name)], { stdio: 'inherit' });
  if (run.status !== 0) failed.push(`${name} (exit ${run.status ?? run.signal})`);
}
if (failed.length > 0) {
  process.stderr.write(`failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
