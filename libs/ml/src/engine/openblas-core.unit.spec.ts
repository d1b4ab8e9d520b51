import { openBlasCoreType } from './openblas-core';

// OpenBLAS's own CPU detection picks its generic kernels on CPUs it does not know by model: the
// kernel family comes from the CPU flags instead.

const cpuinfo = (flags: string) => `processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: ${flags}\n`;

describe('openBlasCoreType', () => {
  it('names the kernel family the flags allow', () => {
    expect(openBlasCoreType(cpuinfo('fpu sse sse2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl'))).toBe('SkylakeX');
    expect(openBlasCoreType(cpuinfo('fpu sse sse2 avx avx2 fma avx512f'))).toBe('Haswell');
    expect(openBlasCoreType(cpuinfo('fpu sse sse2 avx'))).toBeUndefined();
    expect(openBlasCoreType('')).toBeUndefined();
  });

  it('reads aarch64 "Features" lines without naming an x86 family', () => {
    expect(openBlasCoreType('processor\t: 0\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32\n')).toBeUndefined();
  });
});
