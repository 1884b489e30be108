/**
 * Counts failed authentications per client address in fixed windows. The per-token rate limit
 * gives every made-up token a budget of its own, so a client rotating bogus tokens would never see
 * a 429: past `max` failures in a window its failures are answered 429 with Retry-After instead of
 * 401. Valid tokens from the same address are never refused by this count (behind a proxy that
 * address may be everyone's).
 */
export class FailedAuthentications {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until `address` may try again, or 0 when it may now. */
  retryAfterMs(address: string): number {
    const window = this.current(address);
    return window && window.failures > this.max ? window.start + this.windowMs - this.now() : 0;
  }

  record(address: string): void {
    const window = this.current(address);
    if (window) window.failures++;
    else {
      // Old windows go when the map grows: at most one entry per address seen in one window.
      if (this.windows.size >= 100_000) this.sweep();
      this.windows.set(address, { start: this.now(), failures: 1 });
    }
  }

  private current(address: string): { start: number; failures: number } | undefined {
    const window = this.windows.get(address);
    if (window && this.now() - window.start < this.windowMs) return window;
    if (window) this.windows.delete(address);
    return undefined;
  }

  private sweep(): void {
    const now = this.now();
    for (const [address, window] of this.windows)
      if (now - window.start >= this.windowMs) this.windows.delete(address);
  }
}
