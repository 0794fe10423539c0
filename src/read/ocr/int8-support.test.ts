import { describe, expect, it } from 'vitest';
import { hasExactInt8Kernels, readCpuFlags } from './int8-support.js';

describe('hasExactInt8Kernels', () => {
  it('wants VNNI or AMX on x86-64 and trusts other architectures', () => {
    const flags =
      (...f: string[]) =>
      () =>
        new Set(f);
    expect(hasExactInt8Kernels('x64', flags('avx2', 'fma'))).toBe(false);
    expect(hasExactInt8Kernels('x64', flags('avx2', 'avx512f', 'avx512_vnni'))).toBe(true);
    expect(hasExactInt8Kernels('x64', flags('avx2', 'avx_vnni'))).toBe(true);
    expect(hasExactInt8Kernels('arm64', flags())).toBe(true);
  });

  it('reads this machine\u2019s flags from /proc/cpuinfo', () => {
    const flags = readCpuFlags();
    if (process.platform === 'linux' && process.arch === 'x64') expect(flags.has('sse2')).toBe(true);
  });
});
