import { readFileSync } from 'node:fs';
import { arch } from 'node:os';

/**
 * Whether this CPU runs onnxruntime's u8×s8 convolutions exactly. On x86-64 without VNNI, MLAS multiplies
 * u8×s8 pairs with vpmaddubsw, whose 16-bit sums saturate (255·127·2 > 32 767) — onnxruntime's own
 * quantisation guide warns of it — so the int8 recogniser is only used where the CPU has VNNI (AVX512-VNNI,
 * AVX-VNNI) or AMX, or is not x86 (ARM64 kernels accumulate in 32 bits).
 */
export function hasExactInt8Kernels(cpuArch = arch(), cpuFlags = readCpuFlags): boolean {
  if (cpuArch !== 'x64' && cpuArch !== 'ia32') return true;
  const flags = cpuFlags();
  return flags.has('avx512_vnni') || flags.has('avx_vnni') || flags.has('amx_int8');
}

/** The `flags` of the first processor in /proc/cpuinfo (empty where there is no such file). */
export function readCpuFlags(): Set<string> {
  let text: string;
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return new Set();
  }
  const line = /^flags\s*:(.*)$/mu.exec(text);
  return new Set(line ? line[1]!.trim().split(/\s+/u) : []);
}
