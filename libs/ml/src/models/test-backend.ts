import { initBackend } from '../engine';

/**
 * Model tests run on the backend production picks (wasm with the project's kernels), on one
 * thread: Jest runs test files in parallel workers, and two threads per worker on two cores
 * make every kernel wait for a busy core.
 */
export async function setupTestBackend(): Promise<void> {
  await initBackend({ threads: 1, log: () => undefined });
}
