import { nativeEnv, openBlasCoreType } from './index';

// OpenBLAS's own CPU detection picks its generic kernels on CPUs it does not know by model: the
// baseline names the kernel family from the CPU flags instead.

const cpuinfo = (flags: string) => `processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: ${flags}\n`;

describe('openBlasCoreType', () => {
  it('names the kernel family the flags allow', () => {
    expect(openBlasCoreType(cpuinfo('fpu sse sse2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl'))).toBe('SkylakeX');
    expect(openBlasCoreType(cpuinfo('fpu sse sse2 avx avx2 fma avx512f'))).toBe('Haswell');
    expect(openBlasCoreType(cpuinfo('fpu sse sse2 avx'))).toBeUndefined();
    expect(openBlasCoreType('')).toBeUndefined();
  });

  it('sets OPENBLAS_CORETYPE for the native program unless the caller chose one', () => {
    const avx512 = cpuinfo('avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl');
    expect(nativeEnv(2, {}, avx512)).toEqual({ OPENBLAS_NUM_THREADS: '2', OPENBLAS_CORETYPE: 'SkylakeX' });
    expect(nativeEnv(1, { OPENBLAS_CORETYPE: 'Prescott' }, avx512)).toEqual({ OPENBLAS_NUM_THREADS: '1', OPENBLAS_CORETYPE: 'Prescott' });
    expect(nativeEnv(1, {}, cpuinfo('sse2'))).toEqual({ OPENBLAS_NUM_THREADS: '1' });
  });
});
