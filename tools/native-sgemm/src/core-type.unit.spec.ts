import { nativeEnv } from './index';

// The baseline program runs OpenBLAS's kernels for this CPU, not its generic fallback.

const cpuinfo = (flags: string) => `processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: ${flags}\n`;

describe('nativeEnv', () => {
  it('sets OPENBLAS_CORETYPE for the native program unless the caller chose one', () => {
    const avx512 = cpuinfo('avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl');
    expect(nativeEnv(2, {}, avx512)).toEqual({ OPENBLAS_NUM_THREADS: '2', OPENBLAS_CORETYPE: 'SkylakeX' });
    expect(nativeEnv(1, { OPENBLAS_CORETYPE: 'Prescott' }, avx512)).toEqual({ OPENBLAS_NUM_THREADS: '1', OPENBLAS_CORETYPE: 'Prescott' });
    expect(nativeEnv(1, {}, cpuinfo('sse2'))).toEqual({ OPENBLAS_NUM_THREADS: '1' });
  });
});
