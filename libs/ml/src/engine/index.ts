export { initBackend, backendInfo, shutdownBackend } from './backend';
export type { BackendInfo, BackendName, InitBackendOptions } from './backend';
export { geluTanh } from './gelu';
export { timeStep, matMulFlops, gflops } from './timing';
export type { StepTiming } from './timing';
export { profileKernels } from './kernel-profile';
export type { KernelProfile, KernelStats, MatMulCall, ProfileOptions } from './kernel-profile';
export { fusedAdamStep, fusedEmaUpdate, hasFusedOptimizer } from './kernels/fused-optimizer';
export type { AdamStepAttrs } from './kernels/fused-optimizer';
