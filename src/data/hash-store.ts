/**
 * 8-byte row hashes held in typed arrays — 8 bytes a row, so 10 million rows cost 80 MB — then
 * sorted once, natively, to count duplicates and the hashes two sets share by walking them in
 * order. No per-row objects: a Set of 10 million entries would take several times the memory.
 */

const chunkRows = 1 << 20;

/** A growing list of 8-byte hashes. */
export class HashStore {
  readonly #chunks: Uint8Array[] = [];
  #current = new Uint8Array(chunkRows * 8);
  #used = 0;
  #sorted: BigUint64Array | undefined;

  /** Appends one hash (the first 8 bytes of `hash`). */
  add(hash: Uint8Array): void {
    if (this.#sorted) throw new Error('HashStore: add after sorted()');
    if (this.#used === chunkRows) {
      this.#chunks.push(this.#current);
      this.#current = new Uint8Array(chunkRows * 8);
      this.#used = 0;
    }
    this.#current.set(hash.subarray(0, 8), this.#used * 8);
    this.#used++;
  }

  get size(): number {
    return this.#sorted ? this.#sorted.length : this.#chunks.length * chunkRows + this.#used;
  }

  /** The hashes in ascending order; the store is read-only afterwards. */
  sorted(): BigUint64Array {
    if (this.#sorted) return this.#sorted;
    const all = new BigUint64Array(this.size);
    const bytes = new Uint8Array(all.buffer);
    let offset = 0;
    for (const chunk of this.#chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    bytes.set(this.#current.subarray(0, this.#used * 8), offset);
    this.#chunks.length = 0;
    this.#current = new Uint8Array(0);
    this.#sorted = all.sort();
    return this.#sorted;
  }
}

/** Rows beyond the first of each hash, over several sorted arrays taken together. */
export function duplicateRows(sortedArrays: readonly BigUint64Array[]): number {
  const positions = sortedArrays.map(() => 0);
  let total = 0;
  let distinct = 0;
  let previous: bigint | undefined;
  for (;;) {
    let best = -1;
    let smallest: bigint | undefined;
    for (let i = 0; i < sortedArrays.length; i++) {
      const array = sortedArrays[i]!;
      if (positions[i]! < array.length) {
        const value = array[positions[i]!]!;
        if (smallest === undefined || value < smallest) {
          smallest = value;
          best = i;
        }
      }
    }
    if (best < 0 || smallest === undefined) return total - distinct;
    positions[best]!++;
    total++;
    if (previous === undefined || smallest !== previous) distinct++;
    previous = smallest;
  }
}

/** How many entries of `probe` (rows, with repeats) and how many distinct hashes also occur in `set`; both sorted. */
export function sharedHashes(set: BigUint64Array, probe: BigUint64Array): { rows: number; distinct: number } {
  let i = 0;
  let rows = 0;
  let distinct = 0;
  let last: bigint | undefined;
  for (let j = 0; j < probe.length; j++) {
    const value = probe[j]!;
    while (i < set.length && set[i]! < value) i++;
    if (i < set.length && set[i] === value) {
      rows++;
      if (last !== value) distinct++;
      last = value;
    }
  }
  return { rows, distinct };
}
