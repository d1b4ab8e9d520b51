/** Where a stream's chain ends: the version and hash the next append builds on. */
export interface StreamHeadState {
  version: number;
  hash: string;
}

/**
 * The heads this process last wrote or read, so an append usually needs one statement. A stale entry
 * costs one refused statement (the database compares version and hash), never a wrong chain.
 */
export class StreamHeadCache {
  private readonly heads = new Map<string, StreamHeadState>();

  constructor(private readonly capacity = 10_000) {}

  get(streamId: string): StreamHeadState | undefined {
    const head = this.heads.get(streamId);
    if (head) {
      // Map iteration order is insertion order: re-insert to mark as recently used.
      this.heads.delete(streamId);
      this.heads.set(streamId, head);
    }
    return head;
  }

  set(streamId: string, head: StreamHeadState): void {
    this.heads.delete(streamId);
    this.heads.set(streamId, head);
    if (this.heads.size > this.capacity) this.heads.delete(this.heads.keys().next().value as string);
  }

  delete(streamId: string): void {
    this.heads.delete(streamId);
  }
}
