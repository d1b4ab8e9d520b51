import { performance } from 'node:perf_hooks';
import type { BeforeApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { UserState } from '@forge/domain';

/** Change notices between API processes that share one event store. */
export interface UserChangeNotices {
  /** Tells every listening API process, this one included, that some user's stream changed. */
  publish(): Promise<void>;
  /** Calls onChange on every notice and after each reconnection; resolves to a function that stops listening. */
  subscribe(onChange: () => void): Promise<() => Promise<void>>;
}

/**
 * A user's current state for authentication: read from their own stream, then served from memory until
 * something says it may have changed, so a request does not pay a database read for it.
 * - This process evicts a user as soon as it has appended to their stream, before that request answers:
 *   a role change or a disable applies to the very next request.
 * - Other API processes on the same database evict everything on a change notice (LISTEN/NOTIFY).
 * - An entry is trusted for at most `maxAgeMs`: the bound when a notice is lost (the writer died between
 *   its append and its notice, or the listening connection was down). 0 turns the memory off.
 * Nothing is kept before listening has started, and a read that began before an eviction is answered
 * but not kept, so a slow read can never bring back a state older than the change.
 */
export class UserDirectory implements OnModuleInit, BeforeApplicationShutdown {
  private readonly known = new Map<string, { state: UserState; readAt: number }>();
  private generation = 0;
  private listening = false;
  private stop: (() => Promise<void>) | undefined;

  constructor(
    private readonly load: (username: string) => Promise<UserState>,
    private readonly notices: UserChangeNotices,
    private readonly maxAgeMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Starts listening for change notices; until then every call reads the stream. */
  async start(): Promise<void> {
    if (this.maxAgeMs <= 0 || this.stop) return;
    this.stop = await this.notices.subscribe(() => this.evictAll());
    this.evictAll();
    this.listening = true;
  }

  async close(): Promise<void> {
    this.listening = false;
    this.evictAll();
    await this.stop?.();
  }

  onModuleInit(): Promise<void> {
    return this.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.close();
  }

  async get(username: string): Promise<UserState> {
    const hit = this.listening ? this.known.get(username) : undefined;
    if (hit && this.now() - hit.readAt < this.maxAgeMs) return hit.state;
    const generation = this.generation;
    const readAt = this.now();
    const state = await this.load(username);
    if (this.listening && generation === this.generation) this.known.set(username, { state, readAt });
    return state;
  }

  /** After appending to a user's stream: forget them here at once, then tell the other processes. */
  async changed(username: string): Promise<void> {
    this.generation++;
    this.known.delete(username);
    await this.notices.publish();
  }

  private evictAll(): void {
    this.generation++;
    this.known.clear();
  }
}
