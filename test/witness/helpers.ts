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
