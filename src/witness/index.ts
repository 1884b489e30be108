/**
 * arbiter/witness — C2SP tlog-witness and tlog-cosignature: the cosignature/v1 format, the
 * witness's add-checkpoint decision, and what a witness's answer means to the log.
 */

export type { Cosignature, CosignatureVerifier, SignatureLine } from '../ledger/cosignature.js';
export {
  addSignatureLines,
  cosignatureKeyId,
  cosignatureLine,
  cosignaturesOf,
  cosignatureTimestamp,
  cosignatureVerifierKeyOf,
  cosignedMessage,
  parseCosignatureVerifierKey,
  parseSignatureLine,
  splitNote,
  verifyCosignatureLine,
} from '../ledger/cosignature.js';
export type {
  AddCheckpointDecision,
  AddCheckpointRequest,
  WitnessedHead,
  WitnessedLog,
} from './add-checkpoint.js';
export {
  decideAddCheckpoint,
  formatAddCheckpointRequest,
  maxProofLines,
  maxRequestBytes,
  parseAddCheckpointRequest,
} from './add-checkpoint.js';
export type { ForkReason, WitnessAnswer } from './submission.js';
export { interpretWitnessAnswer, retryDelayMs } from './submission.js';
