import { initBackend } from '../engine';

/** Tests run on the same backend production picks (fast wasm when available). */
export async function setupTestBackend(): Promise<void> {
  await initBackend({ log: () => undefined });
}
