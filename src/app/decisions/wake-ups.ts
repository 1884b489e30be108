/**
 * Wake-ups for long-polling waiters when a decision changes. In-process here; a multi-replica
 * deployment also relays notifications between replicas (see the PostgreSQL store).
 */
export class DecisionEvents {
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;

  /** Resolves when `id` changes, after `timeoutMs`, or when the server shuts down. */
  waitFor(id: string, timeoutMs: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      let set = this.waiters.get(id);
      if (!set) {
        set = new Set();
        this.waiters.set(id, set);
      }
      const done = () => {
        clearTimeout(timer);
        set!.delete(done);
        if (set!.size === 0) this.waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      set.add(done);
    });
  }

  /** Wakes everyone waiting on `id`. */
  notify(id: string): void {
    for (const wake of [...(this.waiters.get(id) ?? [])]) wake();
  }

  /** Number of waiting requests, for metrics. */
  get waiting(): number {
    let count = 0;
    for (const set of this.waiters.values()) count += set.size;
    return count;
  }

  /** True once shutdown began: waiters return at once. */
  get closing(): boolean {
    return this.closed;
  }

  /** Releases every waiter (graceful shutdown). */
  close(): void {
    this.closed = true;
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake();
  }
}
