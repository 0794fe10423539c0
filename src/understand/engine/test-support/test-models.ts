import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { synthesizeQwen3Vl, type SynthesizedModel } from '../../../models/synthetic/qwen3vl-synth.js';
import type { EngineImage } from '../../vision-language-engine.js';

/**
 * Test fixtures: the tiny synthetic Qwen3-VL (real architecture, random weights — answers are
 * gibberish, so tests check plumbing, never wording) and generated page images.
 */

export async function tinyModel(): Promise<SynthesizedModel & { dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'docsight-vlm-'));
  return { dir, ...(await synthesizeQwen3Vl({ size: 'tiny', outDir: dir })) };
}

/** A deterministic patterned RGB image as PNG; `variant` changes the pixels. */
export async function testImage(size: number, variant = 0): Promise<EngineImage> {
  const rgb = Buffer.alloc(size * size * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 7919 + variant * 104_729) % 251;
  const png = await sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();
  return { png, sha256: `test-${size}-${variant}` };
}
