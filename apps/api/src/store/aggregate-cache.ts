/**
 * Folded states of streams this process wrote or read lately, by stream version, so a command on one
 * of them (an expert rating the task they just claimed) needs no read. Never trusted on its own: a
 * decision on a cached state is only kept when the append carrying that version succeeds, and
 * decideAndAppend reads the stream again for anything else. Least recently used entries go first.
 */
export class AggregateCache<State> {
  private readonly entries = new Map<string, { state: State; version: number }>();

  constructor(private readonly capacity = 10_000) {}

  get(streamId: string): { state: State; version: number } | undefined {
    const entry = this.entries.get(streamId);
    if (entry) {
      this.entries.delete(streamId);
      this.entries.set(streamId, entry);
    }
    return entry;
  }

  /** Keeps the state unless a newer version is already known (a slower command finishing late). */
  set(streamId: string, state: State, version: number): void {
    const known = this.entries.get(streamId);
    if (known && known.version > version) return;
    this.entries.delete(streamId);
    this.entries.set(streamId, { state, version });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  delete(streamId: string): void {
    this.entries.delete(streamId);
  }
}
