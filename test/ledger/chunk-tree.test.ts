import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunkTreeHashing, hashChunkTree, hashChunkTreeWithCrypto } from '../../src/ledger/chunk-tree.js';
import { refLeaf, refMTH } from './reference.js';

/**
 * The bulk hasher against node:crypto and the naive RFC tree: SHA-256's padding changes at 55/56
 * bytes (the length no longer fits in the block) and at every multiple of 64, and the hasher
 * works four messages at a time with lanes ending at different blocks, so lengths around those
 * boundaries (+1 for the leaf prefix), in every order and count, are where it could go wrong.
 */
const boundaries = [
  0, 1, 2, 53, 54, 55, 56, 62, 63, 64, 65, 118, 119, 120, 126, 127, 128, 129, 183, 184, 191, 192,
];

function pack(entries: Uint8Array[]): { bytes: Uint8Array; ends: Uint32Array } {
  const ends = new Uint32Array(entries.length);
  let total = 0;
  for (let i = 0; i < entries.length; i++) ends[i] = total += entries[i]!.length;
  const bytes = new Uint8Array(total);
  for (let i = 0; i < entries.length; i++) bytes.set(entries[i]!, ends[i]! - entries[i]!.length);
  return { bytes, ends };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Every leaf, and every perfect subtree over the first `count` leaves, as hex. */
function allHashes(tree: ReturnType<typeof hashChunkTree>, count: number): string[] {
  const hashes = [hex(tree.leaves)];
  for (let level = 1; 2 ** level <= count; level++)
    for (let index = 0; (index + 1) * 2 ** level <= count; index++)
      hashes.push(hex(tree.subtree(level, index)));
  return hashes;
}

describe('hashing a chunk in bulk', () => {
  it('uses WebAssembly on this Node (the fallback is node:crypto)', () => {
    expect(chunkTreeHashing()).toBe('webassembly');
  });

  it('hashes every boundary length like node:crypto, alone and in every lane position', () => {
    for (const length of boundaries) {
      for (let before = 0; before < 5; before++) {
        // `before` other messages first, so this one lands in each of the four lanes, then a
        // longer one after, so lanes finish at different blocks.
        const entries = [
          ...Array.from({ length: before }, (_, i) => randomBytes(i * 37)),
          randomBytes(length),
          randomBytes(300),
        ];
        const { bytes, ends } = pack(entries);
        const tree = hashChunkTree(bytes, ends, entries.length);
        expect(hex(tree.leaves)).toBe(entries.map((entry) => hex(refLeaf(entry))).join(''));
      }
    }
  });

  it('agrees with node:crypto and the RFC root on random chunks of every count up to 70', () => {
    for (let count = 0; count <= 70; count++) {
      const entries = Array.from({ length: count }, () =>
        randomBytes(boundaries[randomBytes(1)[0]! % boundaries.length]! + (randomBytes(1)[0]! % 3) * 64),
      );
      const { bytes, ends } = pack(entries);
      const expected = allHashes(hashChunkTreeWithCrypto(bytes, ends, count), count);
      expect(allHashes(hashChunkTree(bytes, ends, count), count)).toEqual(expected);
      // A power-of-two prefix is one perfect subtree: its hash is the RFC root of those leaves.
      for (let level = 0; 2 ** level <= count; level++)
        expect(hex(hashChunkTree(bytes, ends, count).subtree(level, 0))).toBe(
          hex(refMTH(entries.slice(0, 2 ** level))),
        );
    }
  });

  it('hashes a prefix of the entries when asked for fewer, and large entries that grow its memory', () => {
    const entries = [randomBytes(5_000_000), ...Array.from({ length: 9 }, (_, i) => randomBytes(100 * i))];
    const { bytes, ends } = pack(entries);
    const tree = hashChunkTree(bytes, ends, 6);
    expect(tree.leaves.length).toBe(6 * 32);
    expect(hex(tree.leaves)).toBe(
      entries
        .slice(0, 6)
        .map((entry) => hex(refLeaf(entry)))
        .join(''),
    );
    expect(hex(tree.subtree(2, 0))).toBe(hex(refMTH(entries.slice(0, 4))));
  });

  it('hashes an entry whose bit length needs more than 32 bits correctly (2^29 bytes with its prefix byte)', () => {
    // The module writes only the low 32 bits of the length; such an entry must be hashed by node:crypto.
    const bytes = Buffer.alloc(2 ** 29, 7);
    bytes[2 ** 29 - 1] = 0x78;
    const leaf = (entry: Uint8Array) =>
      createHash('sha256').update(Uint8Array.of(0)).update(entry).digest('hex');
    const tree = hashChunkTree(bytes, Uint32Array.of(2 ** 29 - 1, 2 ** 29), 2);
    expect(hex(tree.leaves)).toBe(leaf(bytes.subarray(0, 2 ** 29 - 1)) + leaf(bytes.subarray(2 ** 29 - 1)));
  });

  it('refuses ends that run backwards or past the bytes instead of hashing what an earlier call left', () => {
    const bytes = randomBytes(200);
    hashChunkTree(bytes, Uint32Array.of(100, 200), 2);
    expect(() => hashChunkTree(bytes.subarray(0, 150), Uint32Array.of(100, 200), 2)).toThrow(RangeError);
    expect(() => hashChunkTree(bytes, Uint32Array.of(150, 100), 2)).toThrow(/ends before it starts/);
    expect(() => hashChunkTree(bytes, Uint32Array.of(100), 2)).toThrow(RangeError);
  });
});
