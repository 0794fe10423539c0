import { InvalidArgumentError, Option, type Command } from 'commander';
import { synthesizeQwen3Vl, type SynthQuant, type SynthSize } from '../../understand/gguf/qwen3vl-synth.js';

/**
 * `docsight models …`: model files. `synthesize` writes random-weight GGUFs of the real Qwen3-VL
 * architecture — `tiny` for tests, `full` (Qwen3-VL-2B's exact dimensions) for benchmarks. Their
 * answers are gibberish by design; they exist so the real engine can be tested and timed without
 * the real weights.
 */

function seedNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number of 0 or more.');
  return n;
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * The `models` command, created by whichever of its files registers first (this one: synthesize;
 * model-files-command.ts: pull, list, rm).
 */
export function modelsCommand(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'models') ??
    program.command('models').description('Manage model files (the vision-language model and its projector).')
  );
}

/** Registers `models synthesize`. */
export function registerModelsCommand(program: Command): void {
  const models = modelsCommand(program);
  models
    .command('synthesize')
    .description('Write random-weight Qwen3-VL GGUFs (text model + mmproj) for tests and benchmarks.')
    .addOption(
      new Option('--size <size>', 'tiny (a few hundred kB) or full (Qwen3-VL-2B dimensions)')
        .choices(['tiny', 'full'])
        .default('tiny'),
    )
    .addOption(
      new Option('--quant <quant>', 'text model weight type').choices(['q8_0', 'q4_0']).default('q8_0'),
    )
    .requiredOption('--out <dir>', 'folder to write the two files into')
    .option('--seed <n>', 'random seed (the same seed writes the same bytes)', seedNumber, 1)
    .action(async (opts: { size: SynthSize; quant: SynthQuant; out: string; seed: number }) => {
      if (opts.size === 'full') {
        process.stderr.write(
          `writing ~${opts.quant === 'q8_0' ? '2.6' : '1.8'} GB (text model + F16 mmproj)…\n`,
        );
      }
      const t0 = Date.now();
      const r = await synthesizeQwen3Vl({
        size: opts.size,
        quant: opts.quant,
        outDir: opts.out,
        seed: opts.seed,
      });
      process.stdout.write(`${r.model}\t${mb(r.modelBytes)}\n${r.mmproj}\t${mb(r.mmprojBytes)}\n`);
      process.stderr.write(
        `synthesized in ${((Date.now() - t0) / 1000).toFixed(1)} s (random weights: answers are gibberish)\n`,
      );
    });
}
