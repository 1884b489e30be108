import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseVerifierKey } from '../../src/ledger/note.js';
import {
  type AddCheckpointRequest,
  decideAddCheckpoint,
  formatAddCheckpointRequest,
  parseAddCheckpointRequest,
  type WitnessedHead,
} from '../../src/witness/index.js';
import { TestLog } from './helpers.js';

const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/c2sp/cosignature-vectors.json', import.meta.url), 'utf8'),
);

describe('the add-checkpoint request body', () => {
  it("parses the spec's example request", () => {
    const parsed = parseAddCheckpointRequest(vectors.witnessRequestExample);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.request.oldSize).toBe(20852014);
    expect(parsed.request.proof).toHaveLength(4);
    expect(parsed.request.note.startsWith('example.com/behind-the-sofa\n20852163\n')).toBe(true);
    expect(formatAddCheckpointRequest(parsed.request)).toBe(vectors.witnessRequestExample);
  });

  const note = new TestLog('example.com/log').grow(3).checkpoint();
  const hash = Buffer.alloc(32, 7).toString('base64');
  const malformed: [string, string][] = [
    ['no-empty-line', `old 0\n${note.replace(/\n\n/g, '\n')}`],
    ['leading-zero', `old 01\n${hash}\n\n${note}`],
    ['negative', `old -1\n\n${note}`],
    ['no-old-line', `${hash}\n\n${note}`],
    ['old-with-two-spaces', `old  1\n\n${note}`],
    ['huge-old', `old 99999999999999999999\n\n${note}`],
    ['proof-short-hash', `old 1\n${Buffer.alloc(31).toString('base64')}\n\n${note}`],
    ['proof-not-base64', `old 1\n${'!'.repeat(44)}\n\n${note}`],
    // The last base64 digit carries two unused bits: set, the same bytes decode, but not canonically.
    ['proof-non-canonical-base64', `old 1\n${hash.slice(0, -2)}d=\n\n${note}`],
    ['64-proof-lines', `old 1\n${`${hash}\n`.repeat(64)}\n${note}`],
    ['proof-with-old-zero', `old 0\n${hash}\n\n${note}`],
    ['oversized', `old 1\n\n${note}${'x'.repeat(17 * 1024)}`],
  ];
  for (const [name, body] of malformed)
    it(`refuses ${name}`, () => {
      expect(parseAddCheckpointRequest(body).ok).toBe(false);
    });

  it('accepts exactly 63 proof lines', () => {
    expect(parseAddCheckpointRequest(`old 1\n${`${hash}\n`.repeat(63)}\n${note}`).ok).toBe(true);
  });
});

/** A witness's state as a map, and a helper that applies 200 decisions to it. */
function witnessOf(log: TestLog) {
  const state = new Map<string, WitnessedHead>();
  const logs = [{ origin: log.origin, verifiers: [parseVerifierKey(log.verifierKey)] }];
  return {
    state,
    submit(request: AddCheckpointRequest) {
      const decision = decideAddCheckpoint({ request, logs, latest: (origin) => state.get(origin) });
      if (decision.status === 200)
        state.set(decision.checkpoint.origin, {
          size: decision.checkpoint.size,
          root: decision.checkpoint.root,
        });
      return decision;
    },
  };
}

describe('the witness decision (status codes of tlog-witness)', () => {
  it('cosigns a first checkpoint from 0, then each consistent extension', () => {
    const log = new TestLog('example.com/log').grow(5);
    const witness = witnessOf(log);
    expect(witness.submit({ oldSize: 0, proof: [], note: log.checkpoint() }).status).toBe(200);
    log.grow(8);
    const next = witness.submit({ oldSize: 5, proof: log.proof(5), note: log.checkpoint() });
    expect(next.status).toBe(200);
    if (next.status === 200) expect(next.body).toBe(`${log.checkpoint().split('\n\n')[0]}\n`);
    expect(witness.state.get(log.origin)?.size).toBe(13);
    // Re-submitting the same checkpoint is cosigned again (same size, same root, empty proof).
    expect(witness.submit({ oldSize: 13, proof: [], note: log.checkpoint() }).status).toBe(200);
  });

  it('404 for an unknown origin', () => {
    const log = new TestLog('example.com/log').grow(2);
    const stranger = new TestLog('example.com/other').grow(2);
    expect(witnessOf(log).submit({ oldSize: 0, proof: [], note: stranger.checkpoint() }).status).toBe(404);
  });

  it('403 when no trusted key signed (forged: same origin, another key)', () => {
    const log = new TestLog('example.com/log').grow(2);
    const forger = new TestLog('example.com/log').grow(2);
    expect(witnessOf(log).submit({ oldSize: 0, proof: [], note: forger.checkpoint() }).status).toBe(403);
  });

  it('403 when a trusted-key signature is altered', () => {
    const log = new TestLog('example.com/log').grow(2);
    const note = log.checkpoint().replace('\n2\n', '\n3\n');
    expect(witnessOf(log).submit({ oldSize: 0, proof: [], note }).status).toBe(403);
  });

  it('400 when the old size is larger than the checkpoint', () => {
    const log = new TestLog('example.com/log').grow(4);
    expect(witnessOf(log).submit({ oldSize: 5, proof: [], note: log.checkpoint() }).status).toBe(400);
  });

  it('409 with the stored size when the old size is stale (a replay of an old request)', () => {
    const log = new TestLog('example.com/log').grow(4);
    const witness = witnessOf(log);
    witness.submit({ oldSize: 0, proof: [], note: log.checkpoint() });
    log.grow(4);
    witness.submit({ oldSize: 4, proof: log.proof(4), note: log.checkpoint() });
    const replay = witness.submit({ oldSize: 4, proof: log.proof(4), note: log.checkpoint() });
    expect(replay).toMatchObject({ status: 409, size: 8 });
    // An older checkpoint replayed from 0 is refused the same way: no rollback.
    expect(witness.submit({ oldSize: 0, proof: [], note: log.checkpoint(4) })).toMatchObject({
      status: 409,
      size: 8,
    });
    expect(witness.state.get(log.origin)?.size).toBe(8);
  });

  it('409 for the same size with a different root: never two roots for one size', () => {
    const log = new TestLog('example.com/log').grow(6);
    const fork = new TestLog('example.com/log', log.keys).grow(6, 'rewritten');
    const witness = witnessOf(log);
    witness.submit({ oldSize: 0, proof: [], note: log.checkpoint() });
    expect(witness.submit({ oldSize: 6, proof: [], note: fork.checkpoint() })).toMatchObject({
      status: 409,
      size: 6,
    });
  });

  it('422 when the consistency proof does not verify (a fork re-signed with the real key)', () => {
    const log = new TestLog('example.com/log').grow(6);
    const witness = witnessOf(log);
    witness.submit({ oldSize: 0, proof: [], note: log.checkpoint() });
    const fork = new TestLog('example.com/log', log.keys).grow(3).grow(7, 'rewritten');
    expect(witness.submit({ oldSize: 6, proof: fork.proof(6), note: fork.checkpoint() }).status).toBe(422);
    // A proof with a flipped bit, on the honest log:
    log.grow(3);
    const proof = log.proof(6).map((hash) => new Uint8Array(hash));
    proof[0]![0]! ^= 1;
    expect(witness.submit({ oldSize: 6, proof, note: log.checkpoint() }).status).toBe(422);
    expect(witness.submit({ oldSize: 6, proof: log.proof(6).slice(1), note: log.checkpoint() }).status).toBe(
      422,
    );
    expect(witness.state.get(log.origin)?.size).toBe(6);
  });

  it('422 for a non-empty proof between equal sizes', () => {
    const log = new TestLog('example.com/log').grow(4);
    const witness = witnessOf(log);
    witness.submit({ oldSize: 0, proof: [], note: log.checkpoint() });
    expect(witness.submit({ oldSize: 4, proof: [log.root()], note: log.checkpoint() }).status).toBe(422);
  });

  it('400 for a note that is not a checkpoint', () => {
    const log = new TestLog('example.com/log').grow(4);
    expect(witnessOf(log).submit({ oldSize: 0, proof: [], note: 'example.com/log\nnonsense\n' }).status).toBe(
      400,
    );
  });
});
