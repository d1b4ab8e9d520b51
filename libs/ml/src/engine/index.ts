export { initBackend, backendInfo, shutdownBackend } from './backend';
export type { BackendInfo, BackendName, InitBackendOptions } from './backend';
export { gelu } from './gelu';
