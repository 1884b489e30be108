import { describe, expect, it } from 'vitest';
import { generateSigner, parseSignerKey } from '../../src/ledger/note.js';
import {
  cosignatureLine,
  cosignatureVerifierKeyOf,
  interpretWitnessAnswer,
  parseCosignatureVerifierKey,
  retryDelayMs,
} from '../../src/witness/index.js';

const witness = parseSignerKey(generateSigner('witness.example/w1').signerKey);
const verifier = parseCosignatureVerifierKey(cosignatureVerifierKeyOf(witness));
const noteBody = 'example.com/log\n10\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const base = { witness: verifier, noteBody, oldSize: 4, size: 10, contentType: undefined, body: '' };
const size = (n: string) => ({ contentType: 'text/x.tlog.size', body: n });

describe("the log's reading of a witness answer", () => {
  it('200 with a valid cosignature by the witness key is a cosignature', () => {
    const answer = interpretWitnessAnswer({
      ...base,
      status: 200,
      body: cosignatureLine(noteBody, witness, 5),
    });
    expect(answer).toMatchObject({
      kind: 'cosigned',
      cosignature: { witness: 'witness.example/w1', timestamp: 5 },
    });
  });

  it('200 with a cosignature of something else, or by another key, is refused', () => {
    const other = parseSignerKey(generateSigner('witness.example/w1').signerKey);
    for (const body of [
      cosignatureLine(noteBody.replace('10', '11'), witness, 5),
      cosignatureLine(noteBody, other, 5),
      'garbage\n',
    ])
      expect(interpretWitnessAnswer({ ...base, status: 200, body }).kind).toBe('refused');
  });

  it('409 naming a smaller size than ours is stale, not a fork: resend from it', () => {
    expect(interpretWitnessAnswer({ ...base, status: 409, ...size('7\n') })).toEqual({
      kind: 'stale',
      witnessSize: 7,
    });
    expect(interpretWitnessAnswer({ ...base, status: 409, ...size('0\n') })).toEqual({
      kind: 'stale',
      witnessSize: 0,
    });
  });

  it('409 naming the size we sent is a different root: a fork', () => {
    expect(interpretWitnessAnswer({ ...base, status: 409, ...size('4\n') })).toMatchObject({
      kind: 'fork',
      reason: 'different-root',
    });
  });

  it('409 naming a size beyond the log is a witness ahead of the log: a fork', () => {
    expect(interpretWitnessAnswer({ ...base, status: 409, ...size('11\n') })).toMatchObject({
      kind: 'fork',
      reason: 'witness-ahead',
    });
  });

  it('422 is a fork; a 409 without a size body, 403, 404, 500 are refusals', () => {
    expect(interpretWitnessAnswer({ ...base, status: 422 })).toMatchObject({
      kind: 'fork',
      reason: 'inconsistent-proof',
    });
    expect(interpretWitnessAnswer({ ...base, status: 409, body: '7\n' }).kind).toBe('refused');
    expect(interpretWitnessAnswer({ ...base, status: 409, ...size('07\n') }).kind).toBe('refused');
    for (const status of [400, 403, 404, 500, 503])
      expect(interpretWitnessAnswer({ ...base, status }).kind).toBe('refused');
  });

  it('backs off by doubling up to the cap', () => {
    const options = { firstMs: 1000, maxMs: 60_000 };
    expect([0, 1, 2, 3, 7, 100].map((n) => retryDelayMs(n, options))).toEqual([
      0, 1000, 2000, 4000, 60_000, 60_000,
    ]);
  });
});
