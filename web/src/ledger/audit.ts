import { fromBase64, toHex } from './bytes.js';
import { canonicalJsonBytes, type Json } from './canonical-json.js';
import {
  type Checkpoint,
  parseSignedCheckpoint,
  parseVerifierKey,
  type SignatureCheck,
  type SignedCheckpoint,
  verifyCheckpointSignature,
} from './checkpoint.js';
import { checkCosignatures, parseWitnessKey, type WitnessCheck, type WitnessKey } from './cosignature.js';
import { leafHash, verifyConsistency, verifyInclusion } from './merkle.js';

/**
 * The ledger checks the dashboard runs in the browser. The server supplies entries, proofs and
 * checkpoints; every hash and signature is recomputed here, so a server that altered its record
 * cannot make a check pass.
 */

/** What the checks need from the ledger API (GET /v1/ledger/…). */
export interface LedgerSource {
  checkpoint(): Promise<string>;
  key(): Promise<string>;
  /** The governance repository's witness keys, one cosignature/v1 verifier key per line. */
  witnessKeys(): Promise<string>;
  entry(seq: number): Promise<{ seq: number; leafHash: string; entry: Json } | undefined>;
  inclusionProof(index: number, treeSize: number): Promise<{ proof: string[] }>;
  consistencyProof(first: number, second: number): Promise<{ proof: string[] }>;
}

export interface CheckStep {
  name: string;
  ok: boolean;
  detail: string;
}

export interface InclusionReport {
  ok: boolean;
  steps: CheckStep[];
  entry?: Json;
  leafHashHex?: string;
  checkpoint?: Checkpoint;
}

export interface ConsistencyReport {
  ok: boolean;
  steps: CheckStep[];
  older?: Checkpoint;
  newer?: Checkpoint;
}

function decodeHashes(list: readonly string[]): Uint8Array[] | undefined {
  const hashes = list.map(fromBase64);
  return hashes.every((hash) => hash?.length === 32) ? (hashes as Uint8Array[]) : undefined;
}

function signatureStep(label: string, check: SignatureCheck): CheckStep {
  if (check.status === 'valid')
    return { name: `${label} signature`, ok: true, detail: `Ed25519 signature by ${check.keyName} verifies` };
  return { name: `${label} signature`, ok: false, detail: check.message };
}

/**
 * The latest checkpoint, parsed, with its signature checked against the log's verifier key, and
 * which of the configured witnesses cosigned it (each cosignature checked here too).
 */
export async function latestCheckpoint(
  source: LedgerSource,
): Promise<{ signed?: SignedCheckpoint; steps: CheckStep[]; witnesses: WitnessCheck[] }> {
  const parsed = parseSignedCheckpoint(await source.checkpoint());
  if (!parsed.ok)
    return { steps: [{ name: 'Latest checkpoint', ok: false, detail: parsed.message }], witnesses: [] };
  const key = await parseVerifierKey(await source.key());
  if (!key.ok) return { steps: [{ name: 'Verifier key', ok: false, detail: key.message }], witnesses: [] };
  const signature = await verifyCheckpointSignature(parsed.value, key.value);
  const keys: WitnessKey[] = [];
  for (const line of (await source.witnessKeys()).split('\n')) {
    if (line.trim() === '') continue;
    const witnessKey = await parseWitnessKey(line);
    if (witnessKey.ok) keys.push(witnessKey.value);
  }
  return {
    signed: parsed.value,
    steps: [signatureStep('Checkpoint', signature)],
    witnesses: await checkCosignatures(parsed.value, keys),
  };
}

/**
 * Checks that ledger entry `seq` is in the log: its content hashes to its leaf, the latest
 * checkpoint is signed by the log's key, and the inclusion proof leads from the leaf to the
 * checkpoint's root.
 */
export async function checkInclusion(source: LedgerSource, seq: number): Promise<InclusionReport> {
  const steps: CheckStep[] = [];
  const fail = (name: string, detail: string, extra: Partial<InclusionReport> = {}): InclusionReport => ({
    ok: false,
    steps: [...steps, { name, ok: false, detail }],
    ...extra,
  });
  const stored = await source.entry(seq);
  if (!stored) return fail('Entry', `the ledger has no entry ${seq}`);
  const leaf = await leafHash(canonicalJsonBytes(stored.entry));
  const leafHashHex = toHex(leaf);
  const served = fromBase64(stored.leafHash);
  if (!served || toHex(served) !== leafHashHex)
    return fail('Leaf hash', 'the entry does not hash to the leaf the server stores', {
      entry: stored.entry,
      leafHashHex,
    });
  steps.push({ name: 'Leaf hash', ok: true, detail: `SHA-256(0x00 ‖ canonical entry) = ${leafHashHex}` });

  const latest = await latestCheckpoint(source);
  steps.push(...latest.steps);
  const signed = latest.signed;
  if (!signed || !latest.steps.every((step) => step.ok))
    return { ok: false, steps, entry: stored.entry, leafHashHex };
  const { checkpoint } = signed;
  if (checkpoint.size <= seq)
    return fail('Inclusion proof', `the checkpoint covers ${checkpoint.size} entries, not entry ${seq} yet`, {
      entry: stored.entry,
      leafHashHex,
      checkpoint,
    });
  const proof = decodeHashes((await source.inclusionProof(seq, checkpoint.size)).proof);
  const included =
    proof !== undefined && (await verifyInclusion(leaf, seq, checkpoint.size, proof, checkpoint.root));
  steps.push({
    name: 'Inclusion proof',
    ok: included,
    detail: included
      ? `${proof.length} hashes lead from the leaf to the root of the signed tree of ${checkpoint.size}`
      : `the proof does not lead to the signed root of the tree of ${checkpoint.size}`,
  });
  return { ok: included, steps, entry: stored.entry, leafHashHex, checkpoint };
}

/**
 * Checks that the log today extends an older checkpoint the auditor kept: both signed by the log's
 * key, and the consistency proof links the older root to the latest one.
 */
export async function checkConsistency(source: LedgerSource, olderNote: string): Promise<ConsistencyReport> {
  const steps: CheckStep[] = [];
  const parsed = parseSignedCheckpoint(olderNote);
  if (!parsed.ok)
    return { ok: false, steps: [{ name: 'Your checkpoint', ok: false, detail: parsed.message }] };
  const older = parsed.value.checkpoint;
  const key = await parseVerifierKey(await source.key());
  if (!key.ok) return { ok: false, steps: [{ name: 'Verifier key', ok: false, detail: key.message }] };
  steps.push(signatureStep('Your checkpoint', await verifyCheckpointSignature(parsed.value, key.value)));
  const latest = await latestCheckpoint(source);
  steps.push(
    ...latest.steps.map((step) => ({ ...step, name: step.name.replace('Checkpoint', 'Latest checkpoint') })),
  );
  const newer = latest.signed?.checkpoint;
  if (!newer || !steps.every((step) => step.ok))
    return { ok: false, steps, older, ...(newer ? { newer } : {}) };
  if (older.origin !== newer.origin) {
    steps.push({
      name: 'Origin',
      ok: false,
      detail: `your checkpoint is of ${older.origin}, not ${newer.origin}`,
    });
    return { ok: false, steps, older, newer };
  }
  if (older.size > newer.size) {
    steps.push({
      name: 'Consistency proof',
      ok: false,
      detail: `your checkpoint has ${older.size} entries, more than the log's ${newer.size}: the log was truncated`,
    });
    return { ok: false, steps, older, newer };
  }
  const proof =
    older.size === newer.size || older.size === 0
      ? []
      : decodeHashes((await source.consistencyProof(older.size, newer.size)).proof);
  const consistent =
    proof !== undefined && (await verifyConsistency(older.size, newer.size, proof, older.root, newer.root));
  steps.push({
    name: 'Consistency proof',
    ok: consistent,
    detail: consistent
      ? `the tree of ${newer.size} extends your tree of ${older.size}: nothing was removed or changed`
      : `the log of ${newer.size} entries does not extend your checkpoint of ${older.size}`,
  });
  return { ok: consistent, steps, older, newer };
}
