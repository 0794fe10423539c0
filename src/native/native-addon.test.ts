import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeBuildDir, nativeCpuMismatch } from './native-addon.js';

const flagsFile = join(nativeBuildDir(), 'cpu-flags.txt');
const built = existsSync(flagsFile) ? readFileSync(flagsFile, 'utf8').trim() : '';

describe('nativeCpuMismatch', () => {
  it.skipIf(!built)('accepts the CPU the engine was built on', () => {
    expect(nativeCpuMismatch()).toBeUndefined();
  });

  it.skipIf(!built)('names the missing SIMD extensions on an older CPU and says how to rebuild', () => {
    const oldCpu = 'processor : 0\nflags : fpu sse sse2 ssse3 sse4_1 sse4_2\n';
    const why = nativeCpuMismatch(oldCpu);
    expect(why).toContain('avx2');
    expect(why).toContain('npm run build:native');
  });
});
