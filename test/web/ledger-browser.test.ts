import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson as serverCanonicalJson } from '../../src/core/canonical-json.js';
import type { JsonValue } from '../../src/core/json.js';
import { signCheckpoint } from '../../src/ledger/checkpoint.js';
import { generateSigner, parseSignerKey } from '../../src/ledger/note.js';
import { consistencyProof, inclusionProof, rootHash } from '../../src/ledger/proof.js';
import * as server from '../../src/ledger/rfc6962.js';
import {
  verifyConsistency as serverConsistency,
  verifyInclusion as serverInclusion,
} from '../../src/ledger/verify.js';
import { fromBase64, toBase64 } from '../../web/src/ledger/bytes.js';
import { canonicalJson, type Json } from '../../web/src/ledger/canonical-json.js';
import {
  parseSignedCheckpoint,
  parseVerifierKey,
  verifyCheckpointSignature,
} from '../../web/src/ledger/checkpoint.js';
import { leafHash, nodeHash, verifyConsistency, verifyInclusion } from '../../web/src/ledger/merkle.js';

/** The dashboard's WebCrypto ledger code, cross-checked against the server's src/ledger on the same inputs. */

const leaves = (n: number) => Array.from({ length: n }, () => server.leafHash(randomBytes(1 + (n % 40))));
const flip = (bytes: Uint8Array, bit: number) => {
  const copy = new Uint8Array(bytes);
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
};

describe('browser RFC 6962 hashing', () => {
  it('computes the same leaf and node hashes as the server', async () => {
    for (const size of [0, 1, 31, 32, 33, 1000]) {
      const entry = new Uint8Array(randomBytes(size));
      expect(await leafHash(entry)).toEqual(server.leafHash(entry));
    }
    const [a, b] = [randomBytes(32), randomBytes(32)].map((buffer) => new Uint8Array(buffer));
    expect(await nodeHash(a!, b!)).toEqual(server.nodeHash(a!, b!));
  });
});

describe('browser inclusion proofs', () => {
  it('accepts every proof the server builds and agrees with the server verifier', async () => {
    for (const size of [1, 2, 3, 5, 8, 13, 64, 100]) {
      const hashes = leaves(size);
      const root = rootHash(hashes);
      for (const index of new Set([0, 1, Math.floor(size / 2), size - 1].filter((i) => i < size))) {
        const proof = inclusionProof(hashes, index);
        expect(await verifyInclusion(hashes[index]!, index, size, proof, root)).toBe(true);
        expect(serverInclusion(hashes[index]!, index, size, proof, root)).toBe(true);
      }
    }
  });

  it('rejects the mutations the server rejects, the same way', async () => {
    const hashes = leaves(21);
    const root = rootHash(hashes);
    const proof = inclusionProof(hashes, 6);
    const cases: Record<string, Parameters<typeof serverInclusion>> = {
      'wrong-leaf': [hashes[7]!, 6, 21, proof, root],
      'wrong-index': [hashes[6]!, 7, 21, proof, root],
      'wrong-size': [hashes[6]!, 6, 40, proof, root],
      'index-past-size': [hashes[6]!, 21, 21, proof, root],
      'proof-bit-flip-at-3': [hashes[6]!, 6, 21, [flip(proof[0]!, 3), ...proof.slice(1)], root],
      'proof-truncated': [hashes[6]!, 6, 21, proof.slice(0, -1), root],
      'proof-extended': [hashes[6]!, 6, 21, [...proof, root], root],
      'root-bit-flip-at-200': [hashes[6]!, 6, 21, proof, flip(root, 200)],
      'short-hash': [hashes[6]!.slice(1), 6, 21, proof, root],
    };
    for (const [name, args] of Object.entries(cases)) {
      expect({ name, ok: await verifyInclusion(...args) }).toEqual({ name, ok: false });
      expect(serverInclusion(...args)).toBe(false);
    }
  });
});

describe('browser consistency proofs', () => {
  it('accepts every proof the server builds between any two sizes up to 40', async () => {
    const hashes = leaves(40);
    for (let newSize = 1; newSize <= 40; newSize += 3) {
      for (let oldSize = 0; oldSize <= newSize; oldSize += 2) {
        const prefix = hashes.slice(0, newSize);
        const proof = consistencyProof(prefix, oldSize);
        const args = [oldSize, newSize, proof, rootHash(hashes.slice(0, oldSize)), rootHash(prefix)] as const;
        expect({ oldSize, newSize, ok: await verifyConsistency(...args) }).toEqual({
          oldSize,
          newSize,
          ok: true,
        });
      }
    }
  });

  it('rejects a rewritten history, a truncated log and a flipped proof bit, as the server does', async () => {
    const hashes = leaves(30);
    const proof = consistencyProof(hashes, 11);
    const oldRoot = rootHash(hashes.slice(0, 11));
    const newRoot = rootHash(hashes);
    const rewritten = [...hashes];
    rewritten[4] = server.leafHash(new Uint8Array([1, 2, 3]));
    const cases: Record<string, Parameters<typeof serverConsistency>> = {
      'rewritten-entry': [11, 30, proof, oldRoot, rootHash(rewritten)],
      'truncated-log': [30, 11, proof, newRoot, oldRoot],
      'proof-bit-flip-at-9': [11, 30, [flip(proof[0]!, 9), ...proof.slice(1)], oldRoot, newRoot],
      'wrong-old-size': [12, 30, proof, oldRoot, newRoot],
      'equal-sizes-different-roots': [30, 30, [], oldRoot, newRoot],
    };
    for (const [name, args] of Object.entries(cases)) {
      expect({ name, ok: await verifyConsistency(...args) }).toEqual({ name, ok: false });
      expect(serverConsistency(...args)).toBe(false);
    }
  });
});

describe('browser canonical JSON', () => {
  it('rebuilds the exact bytes the server hashed from parsed JSON', () => {
    const values: JsonValue[] = [
      { z: 1, a: [true, null, 'x'], m: { b: 2.5, a: -0.000001 } },
      { '\u00e9': 1, e: 2, E: 3, '\ud83d\ude00': 'emoji', '\u20ac': 1e21, n: 1e-7 },
      {
        v: 1,
        seq: 42,
        time: '2026-11-17T10:00:00.000Z',
        type: 'decision.created',
        data: { text: 'line\nbreak "q"' },
      },
      [1, 2, [3, { b: 0, a: 9007199254740991 }]],
    ];
    for (const value of values) {
      const parsed = JSON.parse(JSON.stringify(value)) as Json;
      expect(canonicalJson(parsed)).toBe(serverCanonicalJson(value));
    }
  });
});

describe('browser checkpoint signatures', () => {
  const { signerKey, verifierKey } = generateSigner('arbiter.test/log');
  const signer = parseSignerKey(signerKey);
  const root = server.leafHash(new Uint8Array([7]));
  const note = signCheckpoint({ origin: 'arbiter.test/log', size: 5, root }, signer);

  it('parses the checkpoint and verifies its Ed25519 signature with WebCrypto', async () => {
    const parsed = parseSignedCheckpoint(note);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.value.checkpoint).toEqual({
      origin: 'arbiter.test/log',
      size: 5,
      root: new Uint8Array(root),
    });
    const key = await parseVerifierKey(verifierKey);
    if (!key.ok) throw new Error(key.message);
    expect(await verifyCheckpointSignature(parsed.value, key.value)).toEqual({
      status: 'valid',
      keyName: 'arbiter.test/log',
    });
  });

  it('refuses a checkpoint whose size was changed after signing', async () => {
    const parsed = parseSignedCheckpoint(note.replace('\n5\n', '\n6\n'));
    const key = await parseVerifierKey(verifierKey);
    if (!parsed.ok || !key.ok) throw new Error('parse failed');
    expect((await verifyCheckpointSignature(parsed.value, key.value)).status).toBe('invalid');
  });

  it('refuses a checkpoint signed by another key', async () => {
    const other = await parseVerifierKey(generateSigner('arbiter.test/log').verifierKey);
    const parsed = parseSignedCheckpoint(note);
    if (!parsed.ok || !other.ok) throw new Error('parse failed');
    expect(await verifyCheckpointSignature(parsed.value, other.value)).toEqual({
      status: 'invalid',
      message: 'not signed by arbiter.test/log',
    });
  });

  it('reads a pasted note without its final newline or with CRLF line ends', () => {
    const pasted = parseSignedCheckpoint(`  ${note.trimEnd().replace(/\n/g, '\r\n')}  \r\n\r\n`);
    expect(pasted.ok).toBe(true);
  });

  it('says what is wrong with text that is not a checkpoint', async () => {
    expect(parseSignedCheckpoint('hello')).toEqual({
      ok: false,
      message: 'no signature block (a blank line, then "— name signature")',
    });
    expect(parseSignedCheckpoint('o\nx\nAAAA\n\n— o AAAAAAA=\n')).toMatchObject({ ok: false });
    expect(await parseVerifierKey('name+00000000+AQ==')).toMatchObject({ ok: false });
  });

  it('round-trips base64 and refuses text that is not base64', () => {
    const bytes = new Uint8Array(randomBytes(33));
    expect(fromBase64(toBase64(bytes))).toEqual(bytes);
    expect(fromBase64('not base64!')).toBeUndefined();
  });
});

describe('browser witness cosignatures', () => {
  it('verifies the cosignature/v1 lines the server stores, and names who cosigned', async () => {
    const { cosignatureLine, cosignatureVerifierKeyOf, addSignatureLines } = await import(
      '../../src/witness/index.js'
    );
    const { checkCosignatures, parseWitnessKey } = await import('../../web/src/ledger/cosignature.js');
    const log = parseSignerKey(generateSigner('example.com/log').signerKey);
    const w1 = parseSignerKey(generateSigner('witness.example/w1').signerKey);
    const w2 = parseSignerKey(generateSigner('witness.example/w2').signerKey);
    const hashes = leaves(7);
    const note = signCheckpoint({ origin: 'example.com/log', size: 7, root: rootHash(hashes) }, log);
    const body = note.slice(0, note.lastIndexOf('\n\n') + 1);
    const cosigned = addSignatureLines(note, [cosignatureLine(body, w1, 1_700_000_000).trimEnd()]);
    const parsed = parseSignedCheckpoint(cosigned);
    if (!parsed.ok) throw new Error(parsed.message);
    const keys = [];
    for (const signer of [w1, w2]) {
      const key = await parseWitnessKey(cosignatureVerifierKeyOf(signer));
      if (!key.ok) throw new Error(key.message);
      keys.push(key.value);
    }
    const checks = await checkCosignatures(parsed.value, keys);
    expect(checks.map((check) => [check.witness, check.status])).toEqual([
      ['witness.example/w1', 'cosigned'],
      ['witness.example/w2', 'missing'],
    ]);
    expect(checks[0]?.status === 'cosigned' && checks[0].time.getTime()).toBe(1_700_000_000_000);
    // A cosignature moved onto another checkpoint does not verify.
    const other = signCheckpoint({ origin: 'example.com/log', size: 8, root: rootHash(leaves(8)) }, log);
    const moved = parseSignedCheckpoint(addSignatureLines(other, [cosignatureLine(body, w1, 5).trimEnd()]));
    if (!moved.ok) throw new Error(moved.message);
    expect((await checkCosignatures(moved.value, keys))[0]?.status).toBe('invalid');
    // A deployed witness's key parses (C2SP key ID over 0x04); an ordinary note key does not.
    expect(
      (await parseWitnessKey('remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2')).ok,
    ).toBe(true);
    expect((await parseWitnessKey(generateSigner('x.example/k').verifierKey)).ok).toBe(false);
  });
});
