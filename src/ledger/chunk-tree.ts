import { leafHashAt, nodeHash } from './rfc6962.js';
import { dataFloor, sha256LanesModule } from './sha256-lanes-wasm.js';

/**
 * The RFC 6962 hashes of a chunk of entries computed in bulk: every leaf, and every perfect
 * subtree above them. One-shot `node:crypto` calls cost about 1 µs each whatever they hash —
 * more than hashing a 65-byte node or a few-hundred-byte entry — and verification makes two per
 * entry; the WebAssembly hasher (sha256-lanes-wasm.ts) hashes a whole level in one call, four
 * messages per vector instruction. Where WebAssembly SIMD is unavailable, `node:crypto` does
 * the same work one hash at a time.
 */

/** Hashes of a chunk's leaves and the perfect subtrees over them, read before the next hashChunkTree call. */
export interface ChunkTree {
  /** Leaf i's hash at [32 i, 32 i + 32), for each leaf hashed. */
  readonly leaves: Uint8Array;
  /**
   * A copy of the hash of the perfect subtree of 2^level leaves starting at leaf index × 2^level;
   * requires (index + 1) × 2^level <= the number of leaves hashed.
   */
  subtree(level: number, index: number): Uint8Array;
}

/** Lays out and hashes a chunk; one per thread, since hashing reuses its memory. */
interface TreeHasher {
  hash(bytes: Uint8Array, ends: Uint32Array, count: number): ChunkTree;
}

/** Node count of every level above `count` leaves, and where each level starts (in hashes). */
function levelOffsets(count: number): number[] {
  const offsets = [0];
  for (let size = count, at = 0; size > 1; size >>= 1) {
    at += size;
    offsets.push(at);
  }
  return offsets;
}

const cryptoHasher: TreeHasher = {
  hash(bytes, ends, count) {
    const offsets = levelOffsets(count);
    const hashes = new Uint8Array(32 * (offsets[offsets.length - 1]! + 1));
    let from = 0;
    for (let i = 0; i < count; i++) {
      hashes.set(leafHashAt(bytes, from, ends[i]!), 32 * i);
      from = ends[i]!;
    }
    for (let level = 1, size = count >> 1; level < offsets.length; level++, size >>= 1) {
      const below = 32 * offsets[level - 1]!;
      const here = 32 * offsets[level]!;
      for (let i = 0; i < size; i++) {
        const left = below + 64 * i;
        const node = nodeHash(hashes.subarray(left, left + 32), hashes.subarray(left + 32, left + 64));
        hashes.set(node, here + 32 * i);
      }
    }
    return treeOver(hashes, 0, count, offsets);
  },
};

function treeOver(memory: Uint8Array, base: number, count: number, offsets: number[]): ChunkTree {
  return {
    leaves: memory.subarray(base, base + 32 * count),
    subtree(level, index) {
      const at = base + 32 * (offsets[level]! + index);
      return memory.slice(at, at + 32);
    },
  };
}

/** Beyond this much memory a chunk is hashed with node:crypto rather than grow the module's memory further. */
const wasmMemoryLimit = 1 << 30;
// The module writes only the low 32 bits of SHA-256's 64-bit message length (in bits): a leaf input (prefix byte
// plus entry) must stay under 2^29 bytes, or its digest would be wrong. Larger entries go to node:crypto.
const wasmEntryLimit = (1 << 29) - 1;
const page = 65_536;

/** The part of the WebAssembly JavaScript API used here (the project's type libraries leave it out). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** This thread's compiled module: generated and compiled once, or handed over by another thread. */
let compiled: object | null | undefined;

/**
 * The compiled WebAssembly hasher, for handing to worker threads (a compiled module can be
 * posted to a worker, which then neither generates nor compiles it); undefined where
 * WebAssembly SIMD is unavailable.
 */
export function compiledSha256Lanes(): object | undefined {
  if (compiled === undefined) {
    try {
      compiled = new wasm!.Module(sha256LanesModule());
    } catch {
      compiled = null; // no WebAssembly, or no SIMD (e.g. node --jitless)
    }
  }
  return compiled ?? undefined;
}

/** Hash with a module compiled by another thread (compiledSha256Lanes there), if none is in use yet. */
export function adoptSha256Lanes(module: object): void {
  compiled ??= module;
}

function wasmHasher(): TreeHasher | undefined {
  const module = compiledSha256Lanes();
  if (!module) return undefined;
  let exports: Record<string, unknown>;
  try {
    exports = new wasm!.Instance(module, {}).exports;
  } catch {
    return undefined;
  }
  const memory = exports.memory as { buffer: ArrayBuffer; grow(pages: number): number };
  const hash = exports.hash as (
    prefix: number,
    data: number,
    ends: number,
    stride: number,
    count: number,
    out: number,
  ) => void;
  const align = (at: number) => (at + 15) & ~15;
  return {
    hash(bytes, ends, count) {
      const length = count > 0 ? ends[count - 1]! : 0;
      const offsets = levelOffsets(count);
      const endsAt = align(dataFloor + length);
      const treeAt = align(endsAt + 4 * count);
      const needed = treeAt + 32 * (offsets[offsets.length - 1]! + 1);
      if (needed > wasmMemoryLimit || longestEntry(ends, count) >= wasmEntryLimit)
        return cryptoHasher.hash(bytes, ends, count);
      if (needed > memory.buffer.byteLength)
        memory.grow(Math.ceil((needed - memory.buffer.byteLength) / page));
      const view = new Uint8Array(memory.buffer);
      view.set(bytes.subarray(0, length), dataFloor);
      new Uint32Array(memory.buffer, endsAt, count).set(ends.subarray(0, count));
      hash(0x00, dataFloor, endsAt, 0, count, treeAt);
      // Each level's pairs lie side by side: node i of the next level hashes 0x01 ‖ 64 bytes at 64 i.
      for (let level = 1, size = count >> 1; level < offsets.length; level++, size >>= 1)
        hash(0x01, treeAt + 32 * offsets[level - 1]!, 0, 64, size, treeAt + 32 * offsets[level]!);
      return treeOver(view, treeAt, count, offsets);
    },
  };
}

let hasher: TreeHasher | undefined;

function longestEntry(ends: Uint32Array, count: number): number {
  let longest = 0;
  for (let i = 0, from = 0; i < count; from = ends[i]!, i++) longest = Math.max(longest, ends[i]! - from);
  return longest;
}

/** Entries must lie inside `bytes`, one after another: anything else would hash bytes left by an earlier call. */
function checkEnds(bytes: Uint8Array, ends: Uint32Array, count: number): void {
  if (count > ends.length) throw new RangeError(`chunk of ${count} entries has only ${ends.length} ends`);
  for (let i = 0, from = 0; i < count; from = ends[i]!, i++)
    if (ends[i]! < from) throw new RangeError(`entry ${i} of the chunk ends before it starts`);
  if (count > 0 && ends[count - 1]! > bytes.length)
    throw new RangeError(`the chunk's entries end at ${ends[count - 1]} but it holds ${bytes.length} bytes`);
}

/** Which hasher this thread uses: WebAssembly where it has SIMD, else node:crypto. */
export function chunkTreeHashing(): 'webassembly' | 'node:crypto' {
  hasher ??= wasmHasher() ?? cryptoHasher;
  return hasher === cryptoHasher ? 'node:crypto' : 'webassembly';
}

/**
 * The leaf hashes of entries 0 … count - 1 of a chunk (entry i is bytes[ends[i - 1] ?? 0, ends[i]))
 * and every perfect subtree over them, as RFC 6962 hashes them. The result is a view of memory
 * reused by the next call on this thread.
 */
export function hashChunkTree(bytes: Uint8Array, ends: Uint32Array, count: number): ChunkTree {
  checkEnds(bytes, ends, count);
  hasher ??= wasmHasher() ?? cryptoHasher;
  return hasher.hash(bytes, ends, count);
}

/** The same with node:crypto, one hash at a time: the reference the WebAssembly hasher is tested against. */
export function hashChunkTreeWithCrypto(bytes: Uint8Array, ends: Uint32Array, count: number): ChunkTree {
  return cryptoHasher.hash(bytes, ends, count);
}
