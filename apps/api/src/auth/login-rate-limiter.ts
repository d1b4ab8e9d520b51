import { RateLimitedError } from '../errors/api-errors';

interface Window {
  failures: number;
  startedAt: number;
}

/** Counts failed logins per (client IP, username) in a fixed window; too many → 429 until the window ends. */
export class LoginRateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws RATE_LIMITED when this (ip, user) has used up its attempts. */
  check(ip: string, username: string): void {
    const w = this.current(`${ip}|${username}`);
    if (w && w.failures >= this.maxFailures) {
      const retry = Math.ceil((w.startedAt + this.windowMs - this.now()) / 1000);
      throw new RateLimitedError(`too many failed logins for '${username}' from this address; retry in ${retry} s`, retry);
    }
  }

  failed(ip: string, username: string): void {
    const key = `${ip}|${username}`;
    const w = this.current(key) ?? { failures: 0, startedAt: this.now() };
    w.failures += 1;
    this.windows.set(key, w);
    if (this.windows.size > 10_000) this.prune();
  }

  succeeded(ip: string, username: string): void {
    this.windows.delete(`${ip}|${username}`);
  }

  private current(key: string): Window | undefined {
    const w = this.windows.get(key);
    if (w && this.now() - w.startedAt >= this.windowMs) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }

  private prune(): void {
    for (const key of [...this.windows.keys()]) this.current(key);
  }
}
