import { describe, expect, it } from 'vitest';
import { generateSigner, parseSignerKey } from '../../src/ledger/note.js';
import { cosignatureVerifierKeyOf, parseCosignatureVerifierKey } from '../../src/witness/index.js';
import { bundleOf, problemsOf } from '../helpers/bundle.js';
import { malformedWitnessKeys } from './helpers.js';

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

  it('refuses a log (type 0x01) key and a non-http URL', () => {
    const [problem] = problemsOf({ 'witness.yaml': witness(keys.verifierKey) });
    expect(problem?.message).toMatch(/type 0x04\): give the key `arbiter witness key` prints/);
    expect(problemsOf({ 'witness.yaml': witness(verifierKey, 'ftp://x') }).length).toBeGreaterThan(0);
  });

  it.each(malformedWitnessKeys(verifierKey))('refuses a witness key at its line: %s', (_, key, message) => {
    // Quoted, so that YAML hands the key over as written (spaces, `!`, `=`).
    expect(problemsOf({ 'witness.yaml': witness(JSON.stringify(key)) })).toEqual([
      {
        file: 'witness.yaml',
        line: 6,
        col: 16,
        code: 'ARB_ERR_POLICY_INVALID_VALUE',
        message: expect.stringMatching(message),
      },
    ]);
  });

  it('takes the key name from the ledger parser, for keys of any valid name', () => {
    for (let i = 0; i < 20; i++) {
      const name = `w${i}.example/${'x'.repeat(i)}`;
      const key = cosignatureVerifierKeyOf(parseSignerKey(generateSigner(name).signerKey));
      expect(bundleOf({ 'witness.yaml': witness(key) }).witnesses[0]?.keyName).toBe(name);
      expect(parseCosignatureVerifierKey(key).name).toBe(name);
    }
  });
});
