import {
  type Cosignature,
  type CosignatureVerifier,
  parseSignatureLine,
  verifyCosignatureLine,
} from '../ledger/cosignature.js';

/**
 * The log side of tlog-witness: what a witness's answer to `add-checkpoint` means. A stale old
 * size is not a fork — the witness says which size it holds and the log re-sends a proof from
 * there. A fork is what only a split view explains: a proof from the witness's own size that does
 * not verify (422), a different root for a size both hold (409 naming the size we sent), or a
 * witness that has cosigned more of the log than the log has.
 */

export type ForkReason = 'inconsistent-proof' | 'different-root' | 'witness-ahead';

export type WitnessAnswer =
  | { kind: 'cosigned'; cosignature: Cosignature }
  /** The witness holds `witnessSize`: re-send with a proof from it. */
  | { kind: 'stale'; witnessSize: number }
  | { kind: 'fork'; reason: ForkReason; witnessSize?: number; detail: string }
  /** The witness refused for a reason that is not a fork (unknown log, key, malformed answer): retried later. */
  | { kind: 'refused'; status: number; detail: string };

/** The size a 409 names: one decimal line, `text/x.tlog.size`. */
function conflictSize(contentType: string | undefined, body: string): number | undefined {
  if (!/^text\/x\.tlog\.size\b/i.test(contentType ?? '')) return undefined;
  const match = /^(0|[1-9][0-9]{0,15})\n$/.exec(body);
  return match ? Number(match[1]) : undefined;
}

/**
 * Interprets the witness's HTTP answer to a request that sent `oldSize` and a checkpoint of
 * `size` whose note body is `noteBody`. Precondition: the proof the log sent was computed by the
 * log from its own tree (a 422 is then the witness's root disagreeing with ours).
 */
export function interpretWitnessAnswer(options: {
  witness: CosignatureVerifier;
  noteBody: string;
  oldSize: number;
  size: number;
  status: number;
  contentType: string | undefined;
  body: string;
}): WitnessAnswer {
  const { status, body } = options;
  if (status === 200) {
    for (const text of body.split('\n')) {
      const line = parseSignatureLine(text);
      if (!line) continue;
      const cosignature = verifyCosignatureLine(options.noteBody, line, options.witness);
      if (cosignature) return { kind: 'cosigned', cosignature };
    }
    return { kind: 'refused', status, detail: 'the answer holds no valid cosignature by the witness key' };
  }
  if (status === 422)
    return {
      kind: 'fork',
      reason: 'inconsistent-proof',
      detail: `the witness rejected the consistency proof from size ${options.oldSize} to ${options.size}: its tree at ${options.oldSize} is not ours`,
    };
  if (status === 409) {
    const witnessSize = conflictSize(options.contentType, body);
    if (witnessSize === undefined)
      return { kind: 'refused', status, detail: 'a 409 without a text/x.tlog.size body' };
    if (witnessSize > options.size)
      return {
        kind: 'fork',
        reason: 'witness-ahead',
        witnessSize,
        detail: `the witness has cosigned size ${witnessSize}, beyond this log's ${options.size}`,
      };
    if (witnessSize === options.oldSize)
      return {
        kind: 'fork',
        reason: 'different-root',
        witnessSize,
        detail: `the witness cosigned a different root for size ${witnessSize}`,
      };
    return { kind: 'stale', witnessSize };
  }
  return { kind: 'refused', status, detail: `HTTP ${status}: ${body.slice(0, 200)}` };
}

/** Delay before the next attempt after `failures` consecutive failures: doubling, capped. */
export function retryDelayMs(failures: number, options: { firstMs: number; maxMs: number }): number {
  if (failures <= 0) return 0;
  return Math.min(options.maxMs, options.firstMs * 2 ** Math.min(failures - 1, 30));
}
