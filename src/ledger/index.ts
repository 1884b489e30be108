/**
 * arbiter/ledger — the tamper-evident ledger: RFC 6962 Merkle hashing and proofs, C2SP signed
 * checkpoints with Ed25519, and offline verification. The Merkle functions keep the RFC's
 * argument order and take byte arrays, so other code can check Arbiter's proofs directly.
 */

export type { AuditOptions, AuditProblem, AuditProblemCode, AuditReport, AuditSource } from './audit.js';
export { auditLedger } from './audit.js';
export type { Checkpoint, CheckpointOpening } from './checkpoint.js';
export { checkpointText, openCheckpoint, parseCheckpointText, signCheckpoint } from './checkpoint.js';
export type { Cosignature, CosignatureVerifier } from './cosignature.js';
export {
  cosignatureLine,
  cosignaturesOf,
  cosignatureVerifierKeyOf,
  cosignedMessage,
  parseCosignatureVerifierKey,
} from './cosignature.js';
export type { LedgerAppend, LedgerEntry, PersonalValue } from './entry.js';
export { buildEntry, decodeEntry, encodeEntry, personalCommitment } from './entry.js';
export type { AppendedEntry } from './log.js';
export { MerkleLog, rangeHash } from './log.js';
export type { NoteOpening, NoteSigner, NoteVerifier } from './note.js';
export {
  generateSigner,
  keyIdOf,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  verifierKeyOf,
} from './note.js';
export { consistencyProof, inclusionProof, rootHash } from './proof.js';
export { emptyRoot, hashSize, leafHash, nodeHash } from './rfc6962.js';
export type {
  AppendWrite,
  LedgerReader,
  LedgerTail,
  LedgerWriter,
  StoredCheckpoint,
  StoredEntry,
  StoredNode,
} from './storage.js';
export type { NodeId } from './tree-math.js';
export { consistencyRanges, inclusionRanges, rangeNodes, splitPoint } from './tree-math.js';
export { verifyConsistency, verifyInclusion } from './verify.js';
