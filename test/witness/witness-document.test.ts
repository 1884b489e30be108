import { describe, expect, it } from 'vitest';
import { generateSigner, parseSignerKey } from '../../src/ledger/note.js';
import { witnessKeyName } from '../../src/policy/load.js';
import { cosignatureVerifierKeyOf } from '../../src/witness/index.js';
import { bundleOf, problemsOf } from '../helpers/bundle.js';

// `kind: Witness` in the governance repository: where the server submits checkpoints, and the key
// their cosignatures must verify with — checked at load, like every other document.

const keys = generateSigner('witness.example/w1');
const verifierKey = cosignatureVerifierKeyOf(parseSignerKey(keys.signerKey));
const witness = (key: string, url = 'https://witness.example') =>
  `apiVersion: arbiter/v1\nkind: Witness\nmetadata: {name: w1}\nspec:\n  url: ${url}/\n  verifierKey: ${key}\n`;

describe('kind: Witness', () => {
  it('loads with its key name and a default timeout; the URL loses its trailing slash', () => {
    const bundle = bundleOf({ 'witness.yaml': witness(verifierKey) });
    expect(bundle.witnesses).toEqual([
      {
        name: 'w1',
        url: 'https://witness.example',
        verifierKey,
        keyName: 'witness.example/w1',
        timeoutMs: 5000,
      },
    ]);
    expect(bundle.counts.Witness).toBe(1);
  });

  it('refuses a log (type 0x01) key, a wrong key ID, garbage and a non-http URL', () => {
    for (const [key, message] of [
      [keys.verifierKey, /type 0x04/],
      [verifierKey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'), /key ID/],
      ['nonsense', /not a witness verifier key/],
    ] as const) {
      const [problem] = problemsOf({ 'witness.yaml': witness(key) });
      expect(problem?.message).toMatch(message);
    }
    expect(problemsOf({ 'witness.yaml': witness(verifierKey, 'ftp://x') }).length).toBeGreaterThan(0);
  });

  it("the loader's key check is the ledger's rule (cross-checked on random keys)", () => {
    for (let i = 0; i < 20; i++) {
      const name = `w${i}.example/${'x'.repeat(i)}`;
      const key = cosignatureVerifierKeyOf(parseSignerKey(generateSigner(name).signerKey));
      expect(witnessKeyName(key)).toEqual({ name });
    }
  });
});
