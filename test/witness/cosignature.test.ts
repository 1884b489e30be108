import { readFileSync } from 'node:fs';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { readCosignatureVerifierKey } from '../../src/ledger/cosignature.js';
import { generateSigner, parseSignerKey, signNote } from '../../src/ledger/note.js';
import {
  addSignatureLines,
  cosignatureKeyId,
  cosignatureLine,
  cosignaturesOf,
  cosignatureTimestamp,
  cosignatureVerifierKeyOf,
  cosignedMessage,
  parseCosignatureVerifierKey,
  parseSignatureLine,
} from '../../src/witness/index.js';
import { malformedWitnessKeys } from './helpers.js';

// Vectors from C2SP tlog-cosignature and transparency-dev/formats: test/fixtures/c2sp/README.md.
const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/c2sp/cosignature-vectors.json', import.meta.url), 'utf8'),
);

const witnessKeys = generateSigner('witness.example/w1');
const witness = parseSignerKey(witnessKeys.signerKey);
const verifier = parseCosignatureVerifierKey(cosignatureVerifierKeyOf(witness));
const body = vectors.specExample.checkpointBody as string;

describe('cosignature/v1 against the specification', () => {
  it('signs exactly the message the spec prints: header, time line, the note body', () => {
    const message = cosignedMessage(body, vectors.specExample.timestamp);
    expect(Buffer.from(message).toString('utf8')).toBe(vectors.specExample.signedMessage);
  });

  it("reads the spec example's timestamp field: the time of its signed message", () => {
    const line = parseSignatureLine(vectors.specExample.cosignatureLine)!;
    expect(line.name).toBe('witness.example.com/w1');
    expect(cosignatureTimestamp(line)).toBe(vectors.specExample.timestamp);
    const go = parseSignatureLine(`— w ${vectors.timestampExample.blob}`)!;
    expect(cosignatureTimestamp(go)).toBe(vectors.timestampExample.timestamp);
  });

  it("computes a deployed witness's key ID: SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[:4]", () => {
    const remora = parseCosignatureVerifierKey(vectors.verifierKeys.cosignatureV1);
    expect(remora.name).toBe('remora.n621.de');
    expect(remora.keyId).toBe(0xda77ade7);
    const raw = Buffer.from(vectors.verifierKeys.cosignatureV1.split('+').slice(2).join('+'), 'base64');
    expect(cosignatureKeyId('remora.n621.de', raw.subarray(1))).toBe(0xda77ade7);
  });

  it('refuses a type 0x01 note key, a wrong key ID and garbage as witness keys', () => {
    expect(() => parseCosignatureVerifierKey(vectors.verifierKeys.ed25519Note)).toThrow(
      /type 0x04\): give the key `arbiter witness key` prints/,
    );
    expect(() =>
      parseCosignatureVerifierKey(vectors.verifierKeys.cosignatureV1.replace('da77ade7', 'da77ade8')),
    ).toThrow(/key ID/);
    expect(() => parseCosignatureVerifierKey('nonsense')).toThrow();
    expect(() => parseCosignatureVerifierKey(witnessKeys.verifierKey)).toThrow(/0x04/);
  });

  it.each(malformedWitnessKeys(vectors.verifierKeys.cosignatureV1))(
    'refuses a witness key: %s',
    (_, key, message) => {
      expect(() => parseCosignatureVerifierKey(key)).toThrow(message);
      expect(readCosignatureVerifierKey(key)).toEqual({ problem: expect.stringMatching(message) });
    },
  );

  it('accepts a good key with surrounding white space and an upper-case key ID, and normalises both', () => {
    const key = vectors.verifierKeys.cosignatureV1 as string;
    const upper = key.replace('da77ade7', 'DA77ADE7');
    expect(parseCosignatureVerifierKey(` ${upper}\n`).text).toBe(key);
  });

  it('verifies with an independent Ed25519 implementation (tweetnacl) over the spec bytes', () => {
    const timestamp = 1_700_000_000;
    const text = cosignatureLine(body, witness, timestamp);
    expect(text).toMatch(/^— witness\.example\/w1 [A-Za-z0-9+/]+=*\n$/);
    const blob = Buffer.from(text.trimEnd().split(' ')[2]!, 'base64');
    expect(blob.length).toBe(4 + 8 + 64);
    // Built by hand from the spec text, not from cosignedMessage.
    const message = new TextEncoder().encode(`cosignature/v1\ntime ${timestamp}\n${body}`);
    const publicKey = Buffer.from(
      cosignatureVerifierKeyOf(witness).split('+').slice(2).join('+'),
      'base64',
    ).subarray(1);
    expect(blob.readUInt32BE(0)).toBe(cosignatureKeyId('witness.example/w1', publicKey));
    expect(Number(blob.readBigUInt64BE(4))).toBe(timestamp);
    const signature = blob.subarray(12);
    expect(nacl.sign.detached.verify(message, signature, publicKey)).toBe(true);
    // The same signature over the body alone (a plain note signature) must not verify.
    expect(nacl.sign.detached.verify(new TextEncoder().encode(body), signature, publicKey)).toBe(false);
    const otherTime = new TextEncoder().encode(`cosignature/v1\ntime ${timestamp + 1}\n${body}`);
    expect(nacl.sign.detached.verify(otherTime, signature, publicKey)).toBe(false);
  });
});

describe('cosignaturesOf', () => {
  const log = parseSignerKey(generateSigner('example.com/behind-the-sofa').signerKey);
  const note = signNote(body, log);

  it('finds the witnesses that cosigned, ignoring the log signature and unknown keys', () => {
    const other = parseSignerKey(generateSigner('witness.example/w2').signerKey);
    const cosigned = addSignatureLines(note, [
      cosignatureLine(body, witness, 10).trimEnd(),
      cosignatureLine(body, other, 11).trimEnd(),
    ]);
    const found = cosignaturesOf(cosigned, [verifier]);
    expect(found.cosignatures.map((c) => [c.witness, c.timestamp])).toEqual([['witness.example/w1', 10]]);
    expect(found.forged).toEqual([]);
  });

  it('names a forged line by a known witness and does not count it', () => {
    const line = cosignatureLine(body, witness, 10).trimEnd();
    const blob = Buffer.from(line.split(' ')[2]!, 'base64');
    blob[40] = blob[40]! ^ 1;
    const forged = addSignatureLines(note, [`— witness.example/w1 ${blob.toString('base64')}`]);
    expect(cosignaturesOf(forged, [verifier])).toEqual({ cosignatures: [], forged: ['witness.example/w1'] });
  });

  it('a cosignature of another checkpoint does not transfer', () => {
    const otherBody = body.replace('20852163', '20852164');
    const moved = addSignatureLines(note, [cosignatureLine(otherBody, witness, 10).trimEnd()]);
    expect(cosignaturesOf(moved, [verifier]).cosignatures).toEqual([]);
  });

  it('a plain note signature by the witness key is not a cosignature', () => {
    const plain = signNote(body, witness).split('\n').at(-2)!;
    const found = cosignaturesOf(addSignatureLines(note, [plain]), [verifier]);
    expect(found.cosignatures).toEqual([]);
  });

  it('counts a witness once however many lines it has', () => {
    const twice = addSignatureLines(note, [
      cosignatureLine(body, witness, 10).trimEnd(),
      cosignatureLine(body, witness, 12).trimEnd(),
    ]);
    expect(cosignaturesOf(twice, [verifier]).cosignatures).toHaveLength(1);
  });
});
