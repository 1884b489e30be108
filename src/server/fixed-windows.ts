/**
 * Amounts per key in fixed time windows: failed authentications per address, request-body bytes
 * per token. A key's window starts with its first amount and ends `windowMs` later. Old windows go
 * when the map grows, so it holds at most one entry per key seen within one window.
 */
export class FixedWindows {
  private readonly windows = new Map<string, { start: number; amount: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly sweepAt = 100_000,
  ) {}

  /** What `key` has added in its current window (0 without one). */
  amount(key: string): number {
    return this.current(key)?.amount ?? 0;
  }

  /** Milliseconds until `key`'s current window ends (0 without one). */
  endsInMs(key: string): number {
    const window = this.current(key);
    return window ? window.start + this.windowMs - this.now() : 0;
  }

  /** Adds `amount` to `key`'s current window, starting one when it has none. */
  add(key: string, amount: number): void {
    const window = this.current(key);
    if (window) {
      window.amount += amount;
      return;
    }
    if (this.windows.size >= this.sweepAt) this.sweep();
    this.windows.set(key, { start: this.now(), amount });
  }

  private current(key: string): { start: number; amount: number } | undefined {
    const window = this.windows.get(key);
    if (window && this.now() - window.start < this.windowMs) return window;
    if (window) this.windows.delete(key);
    return undefined;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, window] of this.windows)
      if (now - window.start >= this.windowMs) this.windows.delete(key);
  }
}
