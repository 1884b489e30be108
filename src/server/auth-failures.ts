import { FixedWindows } from './fixed-windows.js';

/**
 * Counts failed authentications per client address in fixed windows. The per-token rate limit
 * gives every made-up token a budget of its own, so a client rotating bogus tokens would never see
 * a 429: past `max` failures in a window its failures are answered 429 with Retry-After instead of
 * 401. Valid tokens from the same address are never refused by this count (behind a proxy that
 * address may be everyone's).
 */
export class FailedAuthentications {
  private readonly failures: FixedWindows;

  constructor(
    private readonly max: number,
    windowMs: number,
    now: () => number = Date.now,
  ) {
    this.failures = new FixedWindows(windowMs, now);
  }

  /** Milliseconds until `address` may try again, or 0 when it may now. */
  retryAfterMs(address: string): number {
    return this.failures.amount(address) > this.max ? this.failures.endsInMs(address) : 0;
  }

  record(address: string): void {
    this.failures.add(address, 1);
  }
}
