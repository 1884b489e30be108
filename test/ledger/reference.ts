import { createHash } from 'node:crypto';

/**
 * A naive Merkle tree written straight from the text of RFC 6962 §2.1, slicing arrays exactly as
 * the definitions do. It shares no code with src/ledger and cross-checks it.
 */
const sha = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
};

export const refLeaf = (d: Uint8Array) => sha(Uint8Array.of(0), d);
export const refNode = (l: Uint8Array, r: Uint8Array) => sha(Uint8Array.of(1), l, r);

function k(n: number): number {
  let p = 1;
  while (p * 2 < n) p *= 2;
  return p;
}

/** MTH(D[n]) over leaf data. */
export function refMTH(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha();
  if (d.length === 1) return refLeaf(d[0]!);
  const split = k(d.length);
  return refNode(refMTH(d.slice(0, split)), refMTH(d.slice(split)));
}

/** PATH(m, D[n]). */
export function refPath(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (d.length <= 1) return [];
  const split = k(d.length);
  return m < split
    ? [...refPath(m, d.slice(0, split)), refMTH(d.slice(split))]
    : [...refPath(m - split, d.slice(split)), refMTH(d.slice(0, split))];
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true). */
export function refProof(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  const subproof = (m2: number, d2: readonly Uint8Array[], b: boolean): Uint8Array[] => {
    if (m2 === d2.length) return b ? [] : [refMTH(d2)];
    const split = k(d2.length);
    return m2 <= split
      ? [...subproof(m2, d2.slice(0, split), b), refMTH(d2.slice(split))]
      : [...subproof(m2 - split, d2.slice(split), false), refMTH(d2.slice(0, split))];
  };
  return m === 0 || m === d.length ? [] : subproof(m, d, true);
}

export const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
export const unhex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
