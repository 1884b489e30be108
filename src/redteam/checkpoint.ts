import { openCheckpoint, parseVerifierKey } from '../ledger/index.js';
import type { Prober } from './http.js';

/** A signed checkpoint the suite read and verified. */
export interface VerifiedCheckpoint {
  note: string;
  origin: string;
  size: number;
  root: Uint8Array;
  /** Where the verifier key came from. */
  keySource: 'pinned' | 'server';
}

/**
 * Reads the latest signed checkpoint with a ledger-reading token (approver) and verifies its
 * Ed25519 signature: against the pinned key when the operator gave one, else against the key the
 * server publishes (which proves the note is well-formed and signed, not who holds the key).
 */
export async function readCheckpoint(
  http: Prober,
  pinnedKey: string | undefined,
): Promise<{ checkpoint: VerifiedCheckpoint } | { problem: string }> {
  let keyText = pinnedKey;
  if (keyText === undefined) {
    const key = await http.send({
      method: 'GET',
      path: '/v1/ledger/key',
      as: 'approver',
      headers: { accept: '*/*' },
    });
    if (key.status !== 200) return { problem: `GET /v1/ledger/key answered ${key.status}` };
    keyText = key.text;
  }
  let verifier: ReturnType<typeof parseVerifierKey>;
  try {
    verifier = parseVerifierKey(keyText);
  } catch (error) {
    return { problem: `the ledger verifier key is not usable: ${(error as Error).message}` };
  }
  const response = await http.send({
    method: 'GET',
    path: '/v1/ledger/checkpoint',
    as: 'approver',
    headers: { accept: '*/*' },
  });
  if (response.status !== 200) return { problem: `GET /v1/ledger/checkpoint answered ${response.status}` };
  if (response.text === '') return { problem: 'the ledger has no checkpoint yet' };
  const opened = openCheckpoint(response.text, [verifier]);
  if (!opened.ok) return { problem: `the checkpoint does not verify (${opened.reason}): ${opened.message}` };
  return {
    checkpoint: {
      note: response.text,
      origin: opened.checkpoint.origin,
      size: opened.checkpoint.size,
      root: opened.checkpoint.root,
      keySource: pinnedKey === undefined ? 'server' : 'pinned',
    },
  };
}
