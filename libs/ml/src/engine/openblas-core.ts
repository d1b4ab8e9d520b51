import * as fs from 'node:fs';

// OpenBLAS 0.3.21 (Debian 12) recognises CPUs by model number and falls back to its generic
// Prescott (SSE3) kernels on ones it does not know, such as a VM's "Intel Xeon Processor": 16
// instead of ~120 GFLOP/s on one core. Both users of OpenBLAS here (the in-process GEMM and the
// benchmark's native baseline) name the kernel family from the CPU flags instead.

/** The OpenBLAS kernel family for this CPU, from its flags; undefined when no better family applies. */
export function openBlasCoreType(cpuinfo: string): string | undefined {
  const flagsLine = cpuinfo.split('\n').find((l) => /^(flags|Features)\s*:/.test(l));
  if (!flagsLine) return undefined;
  const flags = new Set(flagsLine.split(':')[1].trim().split(/\s+/));
  if (['avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx512cd'].every((f) => flags.has(f))) return 'SkylakeX';
  if (['avx2', 'fma'].every((f) => flags.has(f))) return 'Haswell';
  return undefined;
}

export function readCpuinfo(): string {
  try {
    return fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}
