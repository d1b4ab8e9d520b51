/**
 * Retries a Kafka call that fails with a retriable protocol error, such as a fresh topic the broker's metadata
 * cache does not list yet (KRaft propagates new topics asynchronously).
 */
export async function retryRetriable<T>(fn: () => Promise<T>, attempts = 40, delayMs = 250): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !(err as { retriable?: boolean }).retriable) throw err;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}
