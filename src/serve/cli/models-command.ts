import { Option, type Command } from 'commander';
import { positiveInteger } from './options.js';
import { synthesizeQwen3Embedding } from '../../models/synthetic/qwen3-embedding-synth.js';
import {
  synthesizeQwen3Vl,
  type MmprojQuant,
  type SynthQuant,
  type SynthSize,
} from '../../models/synthetic/qwen3vl-synth.js';

/**
 * `docsight models …`: model files. `synthesize` writes random-weight GGUFs of the real Qwen3-VL
 * architecture (or, with --embedding, of Qwen3-Embedding) — `tiny` for tests, `full` (the real models'
 * exact dimensions) for benchmarks. Their answers and vectors are meaningless by design; they exist so
 * the real engine can be tested and timed without the real weights.
 */

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

interface SynthesizeFlags {
  size: SynthSize;
  quant: SynthQuant;
  mmprojQuant: MmprojQuant;
  embedding?: boolean;
  out: string;
  seed: number;
}

/** Registers `models synthesize`. */
export function registerModelsCommand(program: Command): void {
  const models = modelsCommand(program);
  models
    .command('synthesize')
    .description(
      'Write random-weight GGUFs (Qwen3-VL text model + mmproj, or Qwen3-Embedding) for tests and benchmarks.',
    )
    .addOption(
      new Option('--size <size>', 'tiny (a few hundred kB) or full (Qwen3-VL-2B dimensions)')
        .choices(['tiny', 'full'])
        .default('tiny'),
    )
    .addOption(
      new Option('--quant <quant>', 'text model weight type').choices(['q8_0', 'q4_0']).default('q8_0'),
    )
    .addOption(
      new Option('--mmproj-quant <quant>', 'projector weight type (the published projector is q8_0)')
        .choices(['f16', 'q8_0'])
        .default('f16'),
    )
    .option('--embedding', 'write a Qwen3-Embedding model (Q8_0, last-token pooling) instead')
    .requiredOption('--out <dir>', 'folder to write the files into')
    .option(
      '--seed <n>',
      'random seed (the same seed writes the same bytes)',
      positiveInteger('--seed', { min: 0 }),
      1,
    )
    .action(async (opts: SynthesizeFlags) => {
      const t0 = Date.now();
      if (opts.embedding) {
        if (opts.size === 'full')
          process.stderr.write('writing ~0.64 GB (Qwen3-Embedding-0.6B dimensions)…\n');
        const r = await synthesizeQwen3Embedding({ size: opts.size, outDir: opts.out, seed: opts.seed });
        process.stdout.write(`${r.model}\t${mb(r.bytes)}\n`);
      } else {
        if (opts.size === 'full') {
          const text = opts.quant === 'q8_0' ? 1.8 : 1.0;
          const projector = opts.mmprojQuant === 'q8_0' ? 0.45 : 0.82;
          process.stderr.write(`writing ~${(text + projector).toFixed(1)} GB (text model + projector)…\n`);
        }
        const r = await synthesizeQwen3Vl({
          size: opts.size,
          quant: opts.quant,
          mmprojQuant: opts.mmprojQuant,
          outDir: opts.out,
          seed: opts.seed,
        });
        process.stdout.write(`${r.model}\t${mb(r.modelBytes)}\n${r.mmproj}\t${mb(r.mmprojBytes)}\n`);
      }
      process.stderr.write(
        `synthesized in ${((Date.now() - t0) / 1000).toFixed(1)} s (random weights: outputs are meaningless)\n`,
      );
    });
}
