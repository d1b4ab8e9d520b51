// Kernel overrides for the wasm backend; filled in kernel by kernel.
export function registerWasmKernelOverrides(): void {
  /* registered once per process; see the kernel files */
}
