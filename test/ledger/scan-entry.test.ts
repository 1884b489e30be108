import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/core/json.js';
import { decodeEntry, encodeEntry, scanEntry, scanEntryAt } from '../../src/ledger/entry.js';

/**
 * The in-place scanner (plain loops over a batch) against the scanner it replaced, kept here as
 * the reference: Buffer.compare / lastIndexOf / indexOf over a copy of each entry. On valid
 * entries and on thousands of mutations (byte flips, cuts, seq rewrites, personal keys) both
 * must give the same answer, at any offset inside a larger buffer.
 */
const entryStart = Buffer.from('{"actor":"', 'latin1');
const entryEnd = Buffer.from(',"v":1}', 'latin1');
const seqKey = Buffer.from('"seq":', 'latin1');
const personalKey = Buffer.from('"personal":{', 'latin1');

function referenceScan(
  bytes: Uint8Array,
  expectedSeq: number,
): { problem?: string; foundSeq?: number; personal?: Record<string, JsonValue> } {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (
    buffer.length < entryStart.length + entryEnd.length ||
    buffer.compare(entryStart, 0, entryStart.length, 0, entryStart.length) !== 0 ||
    buffer.compare(entryEnd, 0, entryEnd.length, buffer.length - entryEnd.length) !== 0
  )
    return { problem: 'is not a version 1 ledger entry' };
  const at = buffer.lastIndexOf(seqKey);
  if (at < 0) return { problem: 'has no valid seq' };
  let seq = 0;
  let position = at + seqKey.length;
  const first = position;
  while (position < buffer.length && buffer[position] !== 0x2c) {
    const digit = buffer[position]! - 0x30;
    if (digit < 0 || digit > 9 || (position > first && seq === 0 && buffer[first] === 0x30))
      return { problem: 'has no valid seq' };
    seq = seq * 10 + digit;
    position++;
  }
  if (position === first || position >= buffer.length) return { problem: 'has no valid seq' };
  if (seq !== expectedSeq)
    return { problem: `has seq ${seq} where seq ${expectedSeq} belongs`, foundSeq: seq };
  if (buffer.indexOf(personalKey) < 0) return {};
  const decoded = decodeEntry(bytes, expectedSeq);
  if ('problem' in decoded) return decoded;
  // The one change from the previous scanner: an entry without an object `data` made it throw.
  const data: unknown = decoded.entry.data;
  if (!data || typeof data !== 'object' || Array.isArray(data)) return {};
  const personal = (data as Record<string, JsonValue>).personal;
  return personal && typeof personal === 'object' && !Array.isArray(personal) ? { personal } : {};
}

/** xorshift32: the same mutations every run. */
function random(seed: number) {
  let state = seed;
  return (limit: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % limit;
  };
}

const entry = (seq: number, data: Record<string, JsonValue>) =>
  encodeEntry({
    v: 1,
    seq,
    time: '2026-01-01T00:00:00.000Z',
    type: 'decision.created',
    actor: 'agent-1',
    subject: `dec_${seq}`,
    data,
  });

const samples = [
  entry(0, {}),
  entry(7, { n: 7, text: '"seq":8, and "personal":{ in a string' }),
  entry(12_345, { personal: { who: 'sha256:00' }, action: 'deploy' }),
  entry(90, { nested: { personal: { x: 1 } } }),
];

describe('scanEntryAt', () => {
  it('agrees with the previous scanner on valid entries and thousands of mutations', () => {
    const next = random(22);
    const alphabet = Buffer.from('0123456789,:"{}sequpersonal-v1 ', 'latin1');
    let mutations = 0;
    for (const original of samples) {
      const seq = Number(/"seq":(\d+)/.exec(Buffer.from(original).toString())![1]);
      for (let round = 0; round < 1_500; round++) {
        const bytes = Buffer.from(original);
        let mutated: Uint8Array = bytes;
        const kind = round === 0 ? -1 : next(4);
        if (kind === 0) bytes[next(bytes.length)] = alphabet[next(alphabet.length)]!;
        else if (kind === 1) mutated = bytes.subarray(0, next(bytes.length));
        else if (kind === 2) mutated = bytes.subarray(next(12));
        else if (kind === 3)
          mutated = Buffer.from(
            bytes.toString().replace(`"seq":${seq}`, `"seq":${next(3) === 0 ? '0' : ''}${next(20_000)}`),
          );
        const expectedSeq = next(5) === 0 ? next(20_000) : seq;
        const padded = new Uint8Array(mutated.length + 17);
        padded.fill(0x22);
        padded.set(mutated, 9);
        const reference = referenceScan(mutated, expectedSeq);
        expect(scanEntry(mutated, expectedSeq)).toEqual(reference);
        expect(scanEntryAt(padded, 9, 9 + mutated.length, expectedSeq)).toEqual(reference);
        mutations++;
      }
    }
    expect(mutations).toBe(6_000);
  });

  it('reads no commitments from a forged entry without data, rather than throwing', () => {
    const forged = Buffer.from(
      '{"actor":"a","personal":{"who":"sha256:00"},"seq":3,"subject":"s","time":"t","type":"x","v":1}',
    );
    expect(scanEntry(forged, 3)).toEqual({});
    expect(scanEntry(Buffer.from('{"actor":"a","data":[{"personal":{}}],"seq":3,"v":1}'), 3)).toEqual({});
  });
});
