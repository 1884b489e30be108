import { signCheckpoint } from '../../src/ledger/checkpoint.js';
import { generateSigner, type NoteSigner, parseSignerKey } from '../../src/ledger/note.js';
import { consistencyProof, rootHash } from '../../src/ledger/proof.js';
import { leafHash } from '../../src/ledger/rfc6962.js';

/** A log in memory for witness tests: its key, its leaves, signed checkpoints and proofs. */
export class TestLog {
  readonly signer: NoteSigner;
  readonly verifierKey: string;
  readonly leaves: Uint8Array[] = [];

  /** `keys`: share them with another TestLog to model a key holder rewriting history. */
  constructor(
    readonly origin: string,
    keys: { signerKey: string; verifierKey: string } = generateSigner(origin),
  ) {
    this.signer = parseSignerKey(keys.signerKey);
    this.verifierKey = keys.verifierKey;
    this.keys = keys;
  }

  readonly keys: { signerKey: string; verifierKey: string };

  /** Appends `count` leaves whose contents start with `tag` (two logs with different tags fork). */
  grow(count: number, tag = 'entry'): this {
    for (let i = 0; i < count; i++)
      this.leaves.push(leafHash(new TextEncoder().encode(`${tag} ${this.leaves.length}`)));
    return this;
  }

  /** The signed checkpoint of the first `size` leaves (default: all). */
  checkpoint(size = this.leaves.length): string {
    return signCheckpoint(
      { origin: this.origin, size, root: rootHash(this.leaves.slice(0, size)) },
      this.signer,
    );
  }

  proof(oldSize: number, size = this.leaves.length): Uint8Array[] {
    return consistencyProof(this.leaves.slice(0, size), oldSize);
  }

  root(size = this.leaves.length): Uint8Array {
    return rootHash(this.leaves.slice(0, size));
  }
}

/**
 * Witness verifier keys that must be refused, each named after what was done to a good one, with
 * the message both entry points (the ledger's parser and a `kind: Witness` document) must give.
 */
export function malformedWitnessKeys(good: string): [mutation: string, key: string, message: RegExp][] {
  const [name, id, key] = [good.split('+')[0]!, good.split('+')[1]!, good.split('+').slice(2).join('+')];
  const shape =
    /^not a witness verifier key \(name\+keyID\+base64 key\): give the key `arbiter witness key` prints$/;
  const notBase64 =
    /^witness verifier key is not canonical base64: give the key `arbiter witness key` prints$/;
  // A character inside the public key (the first carries the type byte).
  const flipped = key.slice(0, 20) + (key[20] === 'A' ? 'B' : 'A') + key.slice(21);
  return [
    ['garbage', 'nonsense', shape],
    ['one-plus', `${name}+${id}`, shape],
    ['empty-name', `+${id}+${key}`, /empty name/],
    ['space-in-name', `a b+${id}+${key}`, /empty name or one with spaces/],
    ['short-key-id', `${name}+${id.slice(1)}+${key}`, /key ID is not 8 hexadecimal digits/],
    ['non-hex-key-id', `${name}+zzzzzzzz+${key}`, /key ID is not 8 hexadecimal digits/],
    ['char-outside-base64', `${name}+${id}+${key.slice(0, 10)}!${key.slice(10)}`, notBase64],
    ['space-inside-base64', `${name}+${id}+${key.slice(0, 10)} ${key.slice(10)}`, notBase64],
    ['extra-padding', `${name}+${id}+${key}=`, notBase64],
    [
      'truncated-key',
      `${name}+${id}+${key.slice(0, 40)}`,
      /not an Ed25519 cosignature\/v1 key \(type 0x04\)/,
    ],
    ['key-id-of-another-key', `${name}+${id}+${flipped}`, /key ID does not match its name and key/],
    [
      'wrong-key-id',
      `${name}+${id === '00000000' ? '00000001' : '00000000'}+${key}`,
      /key ID does not match/,
    ],
  ];
}
