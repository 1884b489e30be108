import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  consistencyRanges,
  emptyRoot,
  inclusionProof,
  inclusionRanges,
  leafHash,
  nodeHash,
  rootHash,
  splitPoint,
  verifyConsistency,
  verifyInclusion,
} from '../../src/ledger/index.js';
import { walkConsistency, walkInclusion } from '../../src/ledger/proof-walk.js';
import { hex, refLeaf, refMTH, refPath, refProof, unhex } from './reference.js';

const sha256 = (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());
const data = (n: number) => Array.from({ length: n }, (_, i) => new TextEncoder().encode(`entry ${i}`));

describe('RFC 6962 hashing: known answers derived by hand', () => {
  it('the empty tree root is SHA-256 of the empty string', () => {
    expect(hex(emptyRoot)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(rootHash([]))).toBe(hex(emptyRoot));
  });

  it('a leaf hash is SHA-256(0x00 ‖ data)', () => {
    // SHA-256 of the single byte 0x00: the hash of the empty leaf.
    expect(hex(leafHash(new Uint8Array(0)))).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
    expect(hex(leafHash(unhex('01ff')))).toBe(hex(sha256(unhex('0001ff'))));
  });

  it('a node hash is SHA-256(0x01 ‖ left ‖ right)', () => {
    const l = leafHash(unhex('aa'));
    const r = leafHash(unhex('bb'));
    expect(hex(nodeHash(l, r))).toBe(hex(sha256(new Uint8Array([1, ...l, ...r]))));
  });

  it('a one-leaf tree root is its leaf hash', () => {
    const d = unhex('c0ffee');
    expect(hex(rootHash([leafHash(d)]))).toBe(hex(sha256(unhex('00c0ffee'))));
  });

  it('trees of 2, 3, 5 and 7 leaves split at the largest power of two below n', () => {
    const L = data(7).map(leafHash);
    const H = (a: Uint8Array, b: Uint8Array) => sha256(new Uint8Array([1, ...a, ...b]));
    expect(hex(rootHash(L.slice(0, 2)))).toBe(hex(H(L[0]!, L[1]!)));
    // n = 3: k = 2, so MTH = H(MTH(D[0:2]), MTH(D[2:3])).
    expect(hex(rootHash(L.slice(0, 3)))).toBe(hex(H(H(L[0]!, L[1]!), L[2]!)));
    // n = 5: k = 4, so MTH = H(MTH(D[0:4]), L4).
    const four = H(H(L[0]!, L[1]!), H(L[2]!, L[3]!));
    expect(hex(rootHash(L.slice(0, 5)))).toBe(hex(H(four, L[4]!)));
    // n = 7: k = 4, right part D[4:7] splits at 2: H(H(L4, L5), L6).
    expect(hex(rootHash(L))).toBe(hex(H(four, H(H(L[4]!, L[5]!), L[6]!))));
  });

  it('matches the published Certificate Transparency reference roots for sizes 1..8', () => {
    const leaves = [
      '',
      '00',
      '10',
      '2021',
      '3031',
      '40414243',
      '5051525354555657',
      '606162636465666768696a6b6c6d6e6f',
    ].map(unhex);
    const roots = [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ];
    for (const [i, root] of roots.entries()) {
      expect(hex(rootHash(leaves.slice(0, i + 1).map(leafHash))), `size ${i + 1}`).toBe(root);
    }
  });
});

describe('proofs against the naive reference, every index of every tree of size 1..64', () => {
  const d = data(64);
  const leaves = d.map(leafHash);

  it('roots agree', () => {
    for (let n = 0; n <= 64; n++) expect(hex(rootHash(leaves.slice(0, n)))).toBe(hex(refMTH(d.slice(0, n))));
  });

  it('inclusion proofs agree and verify', () => {
    for (let n = 1; n <= 64; n++) {
      const root = rootHash(leaves.slice(0, n));
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(leaves.slice(0, n), i);
        expect(proof.map(hex)).toEqual(refPath(i, d.slice(0, n)).map(hex));
        expect(verifyInclusion(leaves[i]!, i, n, proof, root)).toBe(true);
      }
    }
  });

  it('consistency proofs agree and verify, including the edge sizes', () => {
    for (let n = 1; n <= 64; n++) {
      const newRoot = rootHash(leaves.slice(0, n));
      for (let m = 0; m <= n; m++) {
        const proof = consistencyProof(leaves.slice(0, n), m);
        expect(proof.map(hex)).toEqual(refProof(m, d.slice(0, n)).map(hex));
        expect(verifyConsistency(m, n, proof, rootHash(leaves.slice(0, m)), newRoot), `${m} → ${n}`).toBe(
          true,
        );
      }
    }
  });

  it('refuses to build proofs for indexes and sizes outside the tree', () => {
    expect(() => inclusionProof(leaves.slice(0, 3), 3)).toThrow(RangeError);
    expect(() => inclusionProof(leaves.slice(0, 3), -1)).toThrow(RangeError);
    expect(() => consistencyProof(leaves.slice(0, 3), 4)).toThrow(RangeError);
  });
});

describe('malformed and mutated proofs are rejected, never thrown', () => {
  const leaves = data(13).map(leafHash);
  const root = rootHash(leaves);
  const index = 6;
  const proof = inclusionProof(leaves, index);
  const flip = (bytes: Uint8Array, bit: number) => {
    const copy = new Uint8Array(bytes);
    copy[Math.floor(bit / 8)]! ^= 1 << (bit % 8);
    return copy;
  };

  const inclusionMutations: [string, () => boolean][] = [
    ['wrong-leaf', () => verifyInclusion(leaves[5]!, index, 13, proof, root)],
    ['wrong-index', () => verifyInclusion(leaves[index]!, index + 1, 13, proof, root)],
    ['index-equals-size', () => verifyInclusion(leaves[index]!, 13, 13, proof, root)],
    // The root, not the size, commits to the tree: sizes 12..16 give index 6 the same proof shape,
    // so only sizes that change the shape can be told apart here (the signed checkpoint binds the size).
    ['wrong-size-smaller', () => verifyInclusion(leaves[index]!, index, 7, proof, root)],
    ['wrong-size-larger', () => verifyInclusion(leaves[index]!, index, 17, proof, root)],
    ['wrong-root', () => verifyInclusion(leaves[index]!, index, 13, proof, flip(root, 0))],
    ['proof-truncated', () => verifyInclusion(leaves[index]!, index, 13, proof.slice(0, -1), root)],
    ['proof-extended', () => verifyInclusion(leaves[index]!, index, 13, [...proof, leaves[0]!], root)],
    ['proof-reordered', () => verifyInclusion(leaves[index]!, index, 13, [...proof].reverse(), root)],
    ['proof-empty', () => verifyInclusion(leaves[index]!, index, 13, [], root)],
    [
      'hash-too-short',
      () => verifyInclusion(leaves[index]!, index, 13, [proof[0]!.slice(0, 31), ...proof.slice(1)], root),
    ],
    ['leaf-too-long', () => verifyInclusion(new Uint8Array(33), index, 13, proof, root)],
    ['negative-index', () => verifyInclusion(leaves[index]!, -1, 13, proof, root)],
    ['fractional-size', () => verifyInclusion(leaves[index]!, index, 13.5, proof, root)],
    ['garbage-proof', () => verifyInclusion(leaves[index]!, index, 13, ['x' as never], root)],
    ['null-proof', () => verifyInclusion(leaves[index]!, index, 13, null as never, root)],
    ['string-root', () => verifyInclusion(leaves[index]!, index, 13, proof, 'root' as never)],
  ];
  for (let i = 0; i < proof.length; i++) {
    for (const bit of [0, 129, 255]) {
      inclusionMutations.push([
        `proof-bit-flip-${i}-${bit}`,
        () =>
          verifyInclusion(
            leaves[index]!,
            index,
            13,
            proof.map((h, j) => (j === i ? flip(h, bit) : h)),
            root,
          ),
      ]);
    }
  }
  it.each(inclusionMutations)('inclusion: %s', (_name, check) => {
    expect(check()).toBe(false);
  });

  const oldSize = 5;
  const oldRoot = rootHash(leaves.slice(0, oldSize));
  const cproof = consistencyProof(leaves, oldSize);
  const consistencyMutations: [string, () => boolean][] = [
    ['wrong-old-root', () => verifyConsistency(oldSize, 13, cproof, flip(oldRoot, 7), root)],
    ['wrong-new-root', () => verifyConsistency(oldSize, 13, cproof, oldRoot, flip(root, 7))],
    ['roots-swapped', () => verifyConsistency(oldSize, 13, cproof, root, oldRoot)],
    ['wrong-old-size', () => verifyConsistency(oldSize + 1, 13, cproof, oldRoot, root)],
    ['wrong-new-size', () => verifyConsistency(oldSize, 8, cproof, oldRoot, root)],
    ['old-larger-than-new', () => verifyConsistency(13, 5, cproof, root, oldRoot)],
    ['proof-truncated', () => verifyConsistency(oldSize, 13, cproof.slice(1), oldRoot, root)],
    ['proof-extended', () => verifyConsistency(oldSize, 13, [...cproof, root], oldRoot, root)],
    ['proof-empty', () => verifyConsistency(oldSize, 13, [], oldRoot, root)],
    ['equal-sizes-different-roots', () => verifyConsistency(13, 13, [], oldRoot, root)],
    ['equal-sizes-non-empty-proof', () => verifyConsistency(13, 13, [root], root, root)],
    ['from-empty-with-proof', () => verifyConsistency(0, 13, [root], emptyRoot, root)],
    ['from-empty-wrong-old-root', () => verifyConsistency(0, 13, [], oldRoot, root)],
    ['garbage', () => verifyConsistency(oldSize, 13, [{} as never], oldRoot, root)],
    ['undefined-proof', () => verifyConsistency(oldSize, 13, undefined as never, oldRoot, root)],
    ['nan-size', () => verifyConsistency(Number.NaN, 13, cproof, oldRoot, root)],
  ];
  for (let i = 0; i < cproof.length; i++) {
    consistencyMutations.push([
      `proof-bit-flip-${i}`,
      () =>
        verifyConsistency(
          oldSize,
          13,
          cproof.map((h, j) => (j === i ? flip(h, 100) : h)),
          oldRoot,
          root,
        ),
    ]);
  }
  it.each(consistencyMutations)('consistency: %s', (_name, check) => {
    expect(check()).toBe(false);
  });

  it('accepts the documented edge cases', () => {
    expect(verifyConsistency(0, 13, [], emptyRoot, root)).toBe(true);
    expect(verifyConsistency(13, 13, [], root, root)).toBe(true);
    expect(verifyConsistency(0, 0, [], emptyRoot, emptyRoot)).toBe(true);
  });

  it('random garbage never throws (fuzz, fixed seed)', () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const randomHash = () =>
      new Uint8Array(
        Array.from({ length: rand() < 0.9 ? 32 : Math.floor(rand() * 40) }, () => Math.floor(rand() * 256)),
      );
    for (let round = 0; round < 2000; round++) {
      const size = Math.floor(rand() * 100);
      const proofList = Array.from({ length: Math.floor(rand() * 10) }, randomHash);
      expect(() =>
        verifyInclusion(randomHash(), Math.floor(rand() * size), size, proofList, randomHash()),
      ).not.toThrow();
      expect(() =>
        verifyConsistency(Math.floor(rand() * size), size, proofList, randomHash(), randomHash()),
      ).not.toThrow();
    }
  });
});

describe('refLeaf sanity', () => {
  it('the reference and the library hash leaves the same way', () => {
    expect(hex(refLeaf(unhex('42')))).toBe(hex(leafHash(unhex('42'))));
  });
});

describe('proof walk (shared with the dashboard)', () => {
  // The walk never looks at hash values, so a symbolic combiner shows exactly which nodes it pairs:
  // the implied root must be the tree's own shape, written out by the RFC 6962 MTH recursion.
  const shape = (start: number, end: number): string => {
    if (end - start === 1) return `${start}`;
    const k = splitPoint(end - start);
    return `(${shape(start, start + k)} ${shape(start + k, end)})`;
  };
  const pair = (left: string, right: string) => `(${left} ${right})`;

  it('pairs inclusion-proof nodes into the tree shape for every index of sizes 1..40', () => {
    for (let size = 1; size <= 40; size++) {
      for (let index = 0; index < size; index++) {
        const proof = inclusionRanges(index, size).map(([start, end]) => shape(start, end));
        expect(walkInclusion(`${index}`, index, size, proof, pair)).toBe(shape(0, size));
        if (proof.length > 0)
          expect(walkInclusion(`${index}`, index, size, proof.slice(1), pair)).toBeUndefined();
        expect(walkInclusion(`${index}`, index, size, [...proof, 'x'], pair)).toBeUndefined();
      }
    }
  });

  it('pairs consistency-proof nodes into both tree shapes for all sizes 1 <= m < n <= 40', () => {
    for (let newSize = 2; newSize <= 40; newSize++) {
      for (let oldSize = 1; oldSize < newSize; oldSize++) {
        const proof = consistencyRanges(oldSize, newSize).map(([start, end]) => shape(start, end));
        expect(walkConsistency(oldSize, newSize, proof, shape(0, oldSize), pair)).toEqual([
          shape(0, oldSize),
          shape(0, newSize),
        ]);
        expect(walkConsistency(oldSize, newSize, [...proof, 'x'], shape(0, oldSize), pair)).toBeUndefined();
      }
    }
  });

  it('imports nothing, so the browser bundle can use it', () => {
    const text = readFileSync(new URL('../../src/ledger/proof-walk.ts', import.meta.url), 'utf8');
    expect(text).not.toMatch(/^\s*(?:import|export)[^'"]*from\s*['"]/m);
  });
});
