import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { isValidKeyName, type NoteSigner, noteParts } from './note.js';

/**
 * C2SP tlog-cosignature, Ed25519 `cosignature/v1` (c2sp.org/tlog-cosignature):
 *   signature line   — <cosigner name> base64(key ID ‖ u64 timestamp ‖ Ed25519 signature)
 *   signed message   "cosignature/v1\n" ‖ "time <decimal>\n" ‖ the whole checkpoint note body
 *   key ID           SHA-256(<name> ‖ "\n" ‖ 0x04 ‖ 32-byte public key)[:4]
 *   verifier key     <name>+<hex key ID>+base64(0x04 ‖ 32-byte public key)
 * A cosigner's signer key is an ordinary signed-note signer key (PRIVATE+KEY+…, type 0x01), the
 * form Go's witnesses use: the same Ed25519 key, another key ID algorithm byte.
 */

export const cosignatureV1Type = 0x04;
const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');
/** key ID (4) ‖ timestamp (8) ‖ Ed25519 signature (64). */
const cosignatureBytes = 76;
/** The spec: the timestamp MUST NOT exceed 2^63 - 1. */
const maxTimestamp = 2n ** 63n - 1n;

/** A witness key a log or an auditor trusts: its name, key ID and public key. */
export interface CosignatureVerifier {
  name: string;
  keyId: number;
  publicKey: KeyObject;
  /** The verifier key text it was parsed from. */
  text: string;
}

/** key ID = SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4], big-endian. */
export function cosignatureKeyId(name: string, publicKey: Uint8Array): number {
  return createHash('sha256')
    .update(Buffer.from(name, 'utf8'))
    .update(Buffer.from([0x0a, cosignatureV1Type]))
    .update(publicKey)
    .digest()
    .readUInt32BE(0);
}

const hex8 = (keyId: number) => keyId.toString(16).padStart(8, '0');

/** The cosignature/v1 verifier key text of a witness's signer key. */
export function cosignatureVerifierKeyOf(signer: NoteSigner): string {
  const id = cosignatureKeyId(signer.name, signer.publicKey);
  const key = Buffer.concat([Buffer.from([cosignatureV1Type]), signer.publicKey]).toString('base64');
  return `${signer.name}+${hex8(id)}+${key}`;
}

/** Where to get a well-formed key, named in the messages about malformed ones. */
const keyHint = 'give the key `arbiter witness key` prints';

/**
 * Reads a cosignature/v1 verifier key, `name+<8 hex key ID>+base64(0x04 ‖ Ed25519 key)`, checking
 * every part: the name is a valid key name, the key is canonical base64 of 33 bytes of type 0x04,
 * and the key ID is SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[:4]. The one parser of witness keys: the
 * policy loader reports its `problem` at the document's line, the CLI and the submitter throw it.
 */
export function readCosignatureVerifierKey(text: string): CosignatureVerifier | { problem: string } {
  const trimmed = text.trim();
  const first = trimmed.indexOf('+');
  const second = trimmed.indexOf('+', first + 1);
  if (first < 0 || second < 0)
    return { problem: `not a witness verifier key (name+keyID+base64 key): ${keyHint}` };
  const name = trimmed.slice(0, first);
  const idHex = trimmed.slice(first + 1, second);
  const keyBase64 = trimmed.slice(second + 1);
  if (!isValidKeyName(name)) return { problem: 'witness verifier key has an empty name or one with spaces' };
  if (!/^[0-9a-fA-F]{8}$/.test(idHex))
    return { problem: 'witness verifier key ID is not 8 hexadecimal digits' };
  // Node's decoder skips characters outside the alphabet: only a round trip proves the text is base64.
  const raw = Buffer.from(keyBase64, 'base64');
  if (raw.toString('base64') !== keyBase64)
    return { problem: `witness verifier key is not canonical base64: ${keyHint}` };
  if (raw.length !== 33 || raw[0] !== cosignatureV1Type)
    return { problem: `witness verifier key is not an Ed25519 cosignature/v1 key (type 0x04): ${keyHint}` };
  const publicKeyBytes = raw.subarray(1);
  const keyId = cosignatureKeyId(name, publicKeyBytes);
  if (hex8(keyId) !== idHex.toLowerCase())
    return { problem: 'witness verifier key ID does not match its name and key' };
  const publicKey = createPublicKey({
    key: Buffer.concat([spkiPrefix, publicKeyBytes]),
    format: 'der',
    type: 'spki',
  });
  return { name, keyId, publicKey, text: `${name}+${idHex.toLowerCase()}+${keyBase64}` };
}

/** `readCosignatureVerifierKey` for callers that stop on a bad key: throws a TypeError with its problem. */
export function parseCosignatureVerifierKey(text: string): CosignatureVerifier {
  const verifier = readCosignatureVerifierKey(text);
  if ('problem' in verifier) throw new TypeError(verifier.problem);
  return verifier;
}

/** The exact bytes a cosignature/v1 signs: header line, time line, the note body (with its final newline). */
export function cosignedMessage(noteBody: string, timestamp: number): Uint8Array {
  if (!noteBody.endsWith('\n')) throw new TypeError('note body must end with a newline');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new RangeError('timestamp must be a POSIX time');
  return new Uint8Array(Buffer.from(`cosignature/v1\ntime ${timestamp}\n${noteBody}`, 'utf8'));
}

/** Cosigns a checkpoint note body at `timestamp` (POSIX seconds); returns the signature line with its newline. */
export function cosignatureLine(noteBody: string, signer: NoteSigner, timestamp: number): string {
  const signature = sign(null, cosignedMessage(noteBody, timestamp), signer.privateKey);
  const blob = Buffer.alloc(cosignatureBytes);
  blob.writeUInt32BE(cosignatureKeyId(signer.name, signer.publicKey), 0);
  blob.writeBigUInt64BE(BigInt(timestamp), 4);
  signature.copy(blob, 12);
  return `— ${signer.name} ${blob.toString('base64')}\n`;
}

/** A signature line split into its parts; the blob is not yet checked against any key. */
export interface SignatureLine {
  name: string;
  keyId: number;
  blob: Uint8Array;
  line: string;
}

/** Parses one `— name base64` line (without its newline); undefined when it is not one. */
export function parseSignatureLine(line: string): SignatureLine | undefined {
  const match = /^— (\S+) ([A-Za-z0-9+/]+={0,2})$/.exec(line);
  if (!match) return undefined;
  const name = match[1] as string;
  const blob = Buffer.from(match[2] as string, 'base64');
  if (blob.length < 5 || blob.toString('base64') !== match[2]) return undefined;
  return { name, keyId: blob.readUInt32BE(0), blob: new Uint8Array(blob), line };
}

/** The timestamp a cosignature/v1 line claims, unverified; undefined when the blob is not one. */
export function cosignatureTimestamp(line: SignatureLine): number | undefined {
  if (line.blob.length !== cosignatureBytes) return undefined;
  const timestamp = Buffer.from(line.blob).readBigUInt64BE(4);
  return timestamp > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(timestamp);
}

/** A verified cosignature: which witness, when it says it saw the checkpoint, and the line itself. */
export interface Cosignature {
  witness: string;
  timestamp: number;
  line: string;
}

/**
 * Checks one signature line as a cosignature of `noteBody` by `verifier`. Precondition: the
 * line's name and key ID are the verifier's (the caller matched them). False on any mismatch.
 */
export function verifyCosignatureLine(
  noteBody: string,
  line: SignatureLine,
  verifier: CosignatureVerifier,
): Cosignature | undefined {
  if (line.name !== verifier.name || line.keyId !== verifier.keyId) return undefined;
  if (line.blob.length !== cosignatureBytes) return undefined;
  const blob = Buffer.from(line.blob);
  const timestamp = blob.readBigUInt64BE(4);
  if (timestamp > maxTimestamp || timestamp > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const ok = verify(
    null,
    cosignedMessage(noteBody, Number(timestamp)),
    verifier.publicKey,
    blob.subarray(12),
  );
  return ok ? { witness: verifier.name, timestamp: Number(timestamp), line: line.line } : undefined;
}

/** A note split at its signature block: the body (ending in a newline) and its signature lines. */
export interface SplitNote {
  body: string;
  lines: SignatureLine[];
}

/** Splits a signed note; undefined when it is malformed (no blank line, a bad signature line). */
export function splitNote(note: string): SplitNote | undefined {
  const parts = noteParts(note);
  if (!parts) return undefined;
  const lines: SignatureLine[] = [];
  for (const text of parts.signatureLines) {
    const line = parseSignatureLine(text);
    if (!line) return undefined;
    lines.push(line);
  }
  return { body: parts.text, lines };
}

/**
 * The witnesses among `verifiers` that cosigned the note. A line by a known witness (name and
 * key ID match) that does not verify is a forgery: it counts for nothing and is reported in
 * `forged`. Lines by unknown keys (the log's own signature among them) are ignored.
 */
export function cosignaturesOf(
  note: string,
  verifiers: readonly CosignatureVerifier[],
): { cosignatures: Cosignature[]; forged: string[] } {
  const split = splitNote(note);
  if (!split) return { cosignatures: [], forged: [] };
  const cosignatures: Cosignature[] = [];
  const forged: string[] = [];
  for (const line of split.lines) {
    const verifier = verifiers.find((v) => v.name === line.name && v.keyId === line.keyId);
    if (!verifier) continue;
    const cosignature = verifyCosignatureLine(split.body, line, verifier);
    if (!cosignature) forged.push(line.name);
    else if (!cosignatures.some((c) => c.witness === cosignature.witness)) cosignatures.push(cosignature);
  }
  return { cosignatures, forged };
}

/** Appends signature lines to a signed note (which already has its signature block). */
export function addSignatureLines(note: string, lines: readonly string[]): string {
  const present = new Set(note.split('\n'));
  return (
    note +
    lines
      .filter((line) => !present.has(line))
      .map((line) => `${line}\n`)
      .join('')
  );
}
