/**
 * A small map whose entries expire after `ttlMs`, for lookups on the hot path that may be a
 * moment stale (the authoritative check happens elsewhere, or staleness is documented).
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; until: number }>();
  /** Loads in flight (see load), each with the generation it started in. */
  private readonly loading = new Map<K, { value: Promise<V>; generation: number }>();
  /** Bumped by delete and clear: a load that started before does not store its value. */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: K, value: V): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { value, until: this.now() + this.ttlMs });
  }

  /**
   * The cached value, or the value of the load of `key` already in flight, or `read()`'s — stored
   * unless `delete` or `clear` ran meanwhile; a rejection is not stored. One read per key however
   * many ask while it runs: without this, every request arriving in the round trip after an entry
   * expires sent its own read (issue 22: a replica under load read each hot key dozens of times a
   * second, and two replicas twice as often per decision).
   */
  load(key: K, read: () => Promise<V>): Promise<V> {
    const entry = this.entries.get(key);
    if (entry && entry.until > this.now()) return Promise.resolve(entry.value);
    const pending = this.loading.get(key);
    if (pending && pending.generation === this.generation) return pending.value;
    const generation = this.generation;
    const value = read().then(
      (result) => {
        if (this.loading.get(key)?.value === value) this.loading.delete(key);
        if (generation === this.generation) this.set(key, result);
        return result;
      },
      (error: unknown) => {
        if (this.loading.get(key)?.value === value) this.loading.delete(key);
        throw error;
      },
    );
    this.loading.set(key, { value, generation });
    return value;
  }

  delete(key: K): void {
    this.entries.delete(key);
    this.loading.delete(key);
    this.generation++;
  }

  /** Deletes every entry whose value matches. */
  deleteWhere(matches: (value: V) => boolean): void {
    for (const [key, entry] of this.entries) if (matches(entry.value)) this.entries.delete(key);
    // A value being loaded may match too.
    this.loading.clear();
    this.generation++;
  }

  clear(): void {
    this.entries.clear();
    this.loading.clear();
    this.generation++;
  }
}
